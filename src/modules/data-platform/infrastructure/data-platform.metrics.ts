import { inject, injectable } from 'inversify';
import type { Counter } from 'prom-client';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { PostOutcome } from '../domain/delivery';
import { DELIVERY_STATES } from '../domain/reservation-record';
import { ReservationRecords } from './reservation-records.repository';
import { SinkBreaker } from './sink-breaker';

/** The module's Prometheus series: records by delivery state, sink POST outcomes, circuit state. */
@injectable()
export class DataPlatformMetrics implements ModuleMetrics {
  private sinkPosts: Counter<'outcome'> | undefined;

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(SinkBreaker) private readonly breaker: SinkBreaker,
  ) {}

  register(metrics: Metrics): void {
    metrics.gauge('data_platform_records', 'Confirmed reservations stored by the data platform, by delivery state', ['delivery'], async (g) => {
      const counts = await this.records.countByDelivery(this.db.direct);
      for (const state of DELIVERY_STATES) g.set({ delivery: state }, counts[state]);
    });
    metrics.gauge('data_platform_sink_circuit_open', '1 while the data-platform sink circuit is open (deliveries paused)', [], (g) => {
      g.set(this.breaker.state() === 'closed' ? 0 : 1);
    });
    this.sinkPosts = metrics.counter('data_platform_sink_posts_total', 'POSTs to the data-platform sink by outcome', ['outcome']);
  }

  /** A refusal (4xx other than 408/425/429) is told apart from a failure: it proves the sink is up. */
  countPost(outcome: PostOutcome): void {
    this.sinkPosts?.inc({ outcome: outcome.kind === 'delivered' ? 'delivered' : outcome.retryable ? 'failed' : 'refused' });
  }
}
