import { inject, injectable } from 'inversify';
import type { Counter } from 'prom-client';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { QUEUE_STORE, type QueueStore } from '../queue-store';

/**
 * Read from the live state at each scrape: no query. Joins and polls are counted by room
 * (`room="0"`: the default room), so an operator sees each on-sale's traffic on its own.
 */
@injectable()
export class QueueMetrics implements ModuleMetrics {
  private joins: Counter<'room'> | null = null;
  private polls: Counter<'room'> | null = null;

  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  register(metrics: Metrics): void {
    metrics.gauge('queue_waiting_tokens', 'Queue tokens waiting for admission', [], async (g) => g.set((await this.store.counts()).waiting));
    metrics.gauge('queue_active_tokens', 'Queue tokens admitted (holding a pass)', [], async (g) => g.set((await this.store.counts()).active));
    this.joins = metrics.counter('queue_joins_total', 'POST /queue/token answered with a token, by waiting room (0: the default room)', ['room']);
    this.polls = metrics.counter('queue_polls_total', 'GET /queue/status answered, by waiting room (0: the default room)', ['room']);
  }

  joined(roomId: number): void {
    this.joins?.inc({ room: String(roomId) });
  }

  polled(roomId: number): void {
    this.polls?.inc({ room: String(roomId) });
  }
}
