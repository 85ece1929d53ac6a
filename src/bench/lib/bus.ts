import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MODULE_NAMES } from '../../platform/config/config';
import type { Api } from './api';
import type { ModuleStore } from './backends';
import { openModuleReader } from './invariants';
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

/** Per-event delivery times of a window, in ms, each list sorted ascending. */
export interface EventLags {
  /** Outbox commit → the relay marked the event handed over (the broker acknowledged it, or every in-process subscriber handled it). */
  commitToRelayed: number[];
  /** Outbox commit → a subscriber's inbox handled it, one figure per (subscriber, event). */
  commitToHandled: number[];
  /**
   * With a broker: the broker stored the event the relay published → a subscriber's inbox handled
   * it, one figure per (subscriber, event): the relay-to-handled lag. Empty without a broker.
   */
  storedToHandled: number[];
}

/**
 * Every event committed since `sinceMs`, read from the module databases themselves: its outbox
 * row's creation and hand-over times and each subscriber's inbox row. Exact, unlike the sampled
 * oldest-undelivered age, which shows the worst event of each sample.
 */
export async function eventLagsSince(store: ModuleStore, sinceMs: number, brokerStoredAt = new Map<string, number>()): Promise<EventLags> {
  const created = new Map<string, number>();
  const lags: EventLags = { commitToRelayed: [], commitToHandled: [], storedToHandled: [] };
  const handled: Array<{ event_id: string; handled_at_ms: number }> = [];
  for (const module of MODULE_NAMES) {
    const db = await openModuleReader(store, module);
    if (!db) continue;
    try {
      for (const row of await db.all<{ event_id: string; created_at_ms: number; dispatched_at_ms: number | null }>(
        `select event_id, created_at_ms, dispatched_at_ms from outbox where created_at_ms >= ?`,
        sinceMs,
      )) {
        created.set(row.event_id, row.created_at_ms);
        if (row.dispatched_at_ms !== null) lags.commitToRelayed.push(row.dispatched_at_ms - row.created_at_ms);
      }
      handled.push(
        ...(await db.all<{ event_id: string; handled_at_ms: number }>(
          `select event_id, handled_at_ms from inbox where status = 'DONE' and handled_at_ms >= ?`,
          sinceMs,
        )),
      );
    } finally {
      await db.close();
    }
  }
  for (const row of handled) {
    const at = created.get(row.event_id);
    if (at !== undefined) lags.commitToHandled.push(row.handled_at_ms - at);
    const stored = brokerStoredAt.get(row.event_id);
    if (stored !== undefined) lags.storedToHandled.push(row.handled_at_ms - stored);
  }
  for (const list of Object.values(lags) as number[][]) list.sort((a, b) => a - b);
  return lags;
}

/**
 * When the broker stored each event published since `sinceMs` (JetStream's own timestamp of the
 * message), by event id (the message id the relay gives it): read back from the stream with an
 * ordered consumer, after the measurement.
 */
export async function brokerStoredTimesSince(broker: { url: string; stream: string }, sinceMs: number): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  const nc = await connect({ servers: broker.url });
  try {
    const reader = await jetstream(nc).consumers.get(broker.stream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(sinceMs).toISOString(),
    });
    for (;;) {
      const batch = await reader.fetch({ max_messages: 1000, expires: 2000 });
      let last: { pending: number } | undefined;
      for await (const m of batch) {
        // The relay publishes every event with its id as the message id.
        const id = m.headers?.get('Nats-Msg-Id');
        if (id) stored.set(id, Math.floor(m.info.timestampNanos / 1e6));
        last = m.info;
      }
      if (!last || last.pending === 0) return stored;
    }
  } finally {
    await nc.close();
  }
}
