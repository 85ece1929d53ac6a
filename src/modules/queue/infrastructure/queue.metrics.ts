import { inject, injectable } from 'inversify';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { QUEUE_STORE, type QueueStore } from '../queue-store';

/** Read from the live state at each scrape: no query. */
@injectable()
export class QueueMetrics implements ModuleMetrics {
  constructor(@inject(QUEUE_STORE) private readonly store: QueueStore) {}

  register(metrics: Metrics): void {
    metrics.gauge('queue_waiting_tokens', 'Queue tokens waiting for admission', [], async (g) => g.set((await this.store.counts()).waiting));
    metrics.gauge('queue_active_tokens', 'Queue tokens admitted (holding a pass)', [], async (g) => g.set((await this.store.counts()).active));
  }
}
