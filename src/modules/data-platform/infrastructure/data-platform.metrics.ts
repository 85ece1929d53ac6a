import { inject, injectable } from 'inversify';
import type { Counter } from 'prom-client';
import type { Metrics } from '../../platform/metrics/metrics';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { DATA_PLATFORM } from './data-platform.di-tokens';
import { DELIVERY_STATES, type ReservationRecords } from './reservation-records.repository';
import type { SinkBreaker } from './sink/sink-breaker';

/** The module's Prometheus series: records by delivery state, sink POST outcomes, circuit state. */
@injectable()
export class DataPlatformMetrics {
  readonly sinkPosts: Counter<'outcome'>;

  constructor(
    @inject(PLATFORM.Metrics) metrics: Metrics,
    @inject(DATA_PLATFORM.Records) records: ReservationRecords,
    @inject(DATA_PLATFORM.SinkBreaker) breaker: SinkBreaker,
  ) {
    metrics.gauge('data_platform_records', 'Confirmed reservations stored by the data platform, by delivery state', ['delivery'], async (g) => {
      const counts = await records.countByDelivery();
      for (const state of DELIVERY_STATES) g.set({ delivery: state }, counts[state]);
    });
    metrics.gauge('data_platform_sink_circuit_open', '1 while the data-platform sink circuit is open (deliveries paused)', [], (g) => {
      g.set(breaker.state() === 'closed' ? 0 : 1);
    });
    this.sinkPosts = metrics.counter('data_platform_sink_posts_total', 'POSTs to the data-platform sink by outcome', ['outcome']);
  }
}
