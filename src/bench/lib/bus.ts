import type { Api } from './api';
import { sleep } from './load';

/**
 * Until the outbox is empty and no delivery is being retried: set-up's events must not spill into
 * a measurement, nor a measurement's events be left out of its count.
 */
export async function waitForBusIdle(api: Api, admin: Record<string, string>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const stats = await api.ok('GET', '/admin/events', admin);
    if (stats.items.every((s: { outboxBacklog: number; deliveriesRetrying: number }) => s.outboxBacklog === 0 && s.deliveriesRetrying === 0)) return;
    await sleep(100);
  }
  throw new Error('the bus did not drain within a minute');
}

/** Events handed to subscribers so far, over all of them (from GET /admin/events). */
export function sumDelivered(stats: { items: Array<{ delivered: number }> }): number {
  return stats.items.reduce((n, s) => n + s.delivered, 0);
}
