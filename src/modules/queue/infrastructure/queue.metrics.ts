import { inject, injectable } from 'inversify';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { LiveQueue } from './live-queue';

/** Read from the index at each scrape: no query. */
@injectable()
export class QueueMetrics implements ModuleMetrics {
  constructor(@inject(LiveQueue) private readonly live: LiveQueue) {}

  register(metrics: Metrics): void {
    metrics.gauge('queue_waiting_tokens', 'Queue tokens waiting for admission', [], (g) => g.set(this.live.state.waitingCount));
    metrics.gauge('queue_active_tokens', 'Queue tokens admitted (holding a pass)', [], (g) => g.set(this.live.state.activeCount));
  }
}
