import { type EventEnvelope, integrationEvents } from '../../contracts/events';
import type { Clock } from '../clock/clock';
import { runInContext } from '../context/request-context';
import type { StoredDatabase, Transaction } from '../db/module-database';
import type { PreparedStatements } from '../db/prepared-statement';
import type { Logger } from '../logging/logger';
import { backoffDelayMs } from './backoff';
import type { Changes } from './changes';
import { PermanentEventError, type Subscription } from './subscription';
import type { EventConsumer } from './transport';

export type InboxStatus = 'PENDING' | 'RETRYING' | 'DONE' | 'DEAD';

interface InboxRow {
  id: number;
  subscriber: string;
  event_id: string;
  type: string;
  aggregate_id: string;
  status: InboxStatus;
  attempts: number;
  next_attempt_at_ms: number | null;
  last_error: string | null;
  envelope: string | null;
  received_at_ms: number;
}

export interface DeadLetter {
  id: string;
  module: string;
  subscriber: string;
  eventId: string;
  type: string;
  aggregateId: string;
  attempts: number;
  error: string | null;
  receivedAt: string;
  event: EventEnvelope;
}

export interface InboxOptions {
  maxAttempts: number;
  retryBaseMs: number;
}

/**
 * A module's side of the bus: it takes events in for the module's subscribers, handles each in
 * a transaction that also records the event id (so a redelivery has no second effect), and
 * keeps per-subscriber delivery state: retries with backoff, order per aggregate, dead letters.
 */
export class Inbox implements EventConsumer {
  private readonly byType = new Map<string, Subscription[]>();
  private readonly types = new Set<string>();
  private processing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /**
   * The (subscriber, aggregate) pairs that have an event waiting (see loadWaiting), each with the
   * number of the last time it was marked, so a refresh whose read began before a newer mark keeps it.
   */
  private readonly waiting = new Map<string, number>();
  private marks = 0;
  private waitingLoaded: Promise<void> | null = null;
  /**
   * The insert-or-ignore of n handled deliveries, compiled once per row count n: five values a
   * row (`subscriber<r>`, `eventId<r>`, `type<r>`, `aggregateId<r>`, and the time `now`).
   */
  private readonly insertHandled: PreparedStatements<number, Record<string, unknown>, { subscriber: string; event_id: string }>;

  constructor(
    private readonly db: StoredDatabase,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly changes: Changes,
    private readonly options: InboxOptions,
  ) {
    this.insertHandled = db.prepareEach<number, Record<string, unknown>, { subscriber: string; event_id: string }>((k, p, rows) =>
      k('inbox')
        .insert(
          Array.from({ length: rows }, (_, r) => ({
            subscriber: p(`subscriber${r}`),
            event_id: p(`eventId${r}`),
            type: p(`type${r}`),
            aggregate_id: p(`aggregateId${r}`),
            status: 'DONE',
            attempts: 1,
            next_attempt_at_ms: null,
            last_error: null,
            envelope: null,
            received_at_ms: p('now'),
            handled_at_ms: p('now'),
          })),
        )
        .onConflict(['subscriber', 'event_id'])
        .ignore()
        .returning(['subscriber', 'event_id']),
    );
  }

  get moduleName(): string {
    return this.db.moduleName;
  }

  /** A broker hands this inbox events only while its process leads the module. */
  whenActive(): Promise<void> {
    return this.db.leadership.whenLeader();
  }

  isActive(): boolean {
    return this.db.leadership.isLeader;
  }

  add(subscription: Subscription): void {
    const subscriberId = this.subscriberId(subscription);
    for (const list of this.byType.values()) {
      if (list.some((s) => this.subscriberId(s) === subscriberId)) throw new Error(`Duplicate subscriber ${subscriberId}`);
    }
    const list = this.byType.get(subscription.event) ?? [];
    list.push(subscription);
    this.byType.set(subscription.event, list);
    this.types.add(subscription.event);
  }

  eventTypes(): ReadonlySet<string> {
    return this.types;
  }

  async receive(events: EventEnvelope[]): Promise<void> {
    await this.loadWaiting();
    const work: Array<[Subscription, EventEnvelope]> = [];
    for (const event of events) {
      for (const subscription of this.byType.get(event.type) ?? [])
        if (!subscription.only || subscription.only(event.payload)) work.push([subscription, event]);
    }
    if (work.length === 0) return;
    if (work.length > 1) {
      // Fast path under load: the whole batch in one transaction. If any handler throws, the
      // batch rolls back and every event goes again on its own, so only the failing one retries.
      try {
        const queued = new Set<string>();
        const handled = await this.db.transaction((trx) => {
          queued.clear();
          return this.accept(trx, work, queued);
        });
        this.markCommittedQueue(queued);
        for (const [subscription, event] of handled) this.notifyHandled(this.subscriberId(subscription), event, 1);
        return;
      } catch {
        // fall through to one at a time
      }
    }
    for (const [subscription, event] of work) await this.receiveOne(subscription, event);
  }

  /** Handles retries and queued events whose time has come. Safe to call at any time. */
  processDue(): Promise<void> {
    // Any replica may retry: a due row is claimed by a guarded update, so one of them runs it.
    if (this.stopped) return Promise.resolve();
    this.processing ??= this.drainDue().finally(() => {
      this.processing = null;
    });
    return this.processing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.processing;
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const rows: InboxRow[] = await this.db.knex('inbox').where({ status: 'DEAD' }).orderBy('id');
    return rows.map((row) => ({
      id: `${this.moduleName}:${row.id}`,
      module: this.moduleName,
      subscriber: row.subscriber,
      eventId: row.event_id,
      type: row.type,
      aggregateId: row.aggregate_id,
      attempts: row.attempts,
      error: row.last_error,
      receivedAt: new Date(Number(row.received_at_ms)).toISOString(),
      event: JSON.parse(row.envelope ?? 'null'),
    }));
  }

  /** Puts a dead letter back in line and handles it now. Returns false if there is no such dead letter. */
  async replay(rowId: number): Promise<boolean> {
    await this.loadWaiting();
    const row: InboxRow | undefined = await this.db.knex('inbox').where({ id: rowId, status: 'DEAD' }).first();
    if (!row) return false;
    const updated = await this.db
      .knex('inbox')
      .where({ id: rowId, status: 'DEAD' })
      .update({ status: 'RETRYING', attempts: 0, next_attempt_at_ms: this.clock.now() });
    if (updated === 0) return false;
    this.markWaiting(waitingKey(row.subscriber, row.aggregate_id));
    await this.processDue();
    return true;
  }

  async stats(): Promise<{ retrying: number; dead: number; pending: number }> {
    const rows: Array<{ status: string; n: number }> = await this.db
      .knex('inbox')
      .whereIn('status', ['PENDING', 'RETRYING', 'DEAD'])
      .select('status')
      .count({ n: '*' })
      .groupBy('status');
    const count = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { retrying: count('RETRYING'), dead: count('DEAD'), pending: count('PENDING') };
  }

  async purgeHandled(olderThanMs: number): Promise<number> {
    return this.db
      .knex('inbox')
      .where('status', 'DONE')
      .andWhere('handled_at_ms', '<', this.clock.now() - olderThanMs)
      .delete();
  }

  private subscriberId(subscription: Subscription): string {
    return `${this.moduleName}.${subscription.name}`;
  }

  /**
   * Takes events for their subscribers inside `trx`, in order. An event of an aggregate that has
   * an earlier event waiting queues behind it (PENDING). The others get their inbox rows with one
   * insert-or-ignore per chunk, whose RETURNING names the ones not seen before; those are handled,
   * the rest are redeliveries. Returns what was handled; `queued` gets the waiting keys of the events queued.
   */
  private async accept(trx: Transaction, work: Array<[Subscription, EventEnvelope]>, queued: Set<string>): Promise<Array<[Subscription, EventEnvelope]>> {
    const now = this.clock.now();
    const ready: Array<[Subscription, EventEnvelope]> = [];
    const inBatch = new Set<string>();
    for (const [subscription, event] of work) {
      const subscriber = this.subscriberId(subscription);
      if (inBatch.has(deliveryKey(subscriber, event.id))) continue; // the same event twice in one hand-over
      inBatch.add(deliveryKey(subscriber, event.id));
      if (this.waiting.has(waitingKey(subscriber, event.aggregateId))) {
        await trx('inbox')
          .insert(this.newRow(subscriber, event, 'PENDING', 0, now, null))
          .onConflict(['subscriber', 'event_id'])
          .ignore();
        queued.add(waitingKey(subscriber, event.aggregateId));
      } else ready.push([subscription, event]);
    }
    const fresh = new Set<string>();
    for (let i = 0; i < ready.length; i += INSERT_CHUNK) {
      const chunk = ready.slice(i, i + INSERT_CHUNK);
      const values: Record<string, unknown> = { now };
      chunk.forEach(([subscription, event], r) => {
        values[`subscriber${r}`] = this.subscriberId(subscription);
        values[`eventId${r}`] = event.id;
        values[`type${r}`] = event.type;
        values[`aggregateId${r}`] = event.aggregateId;
      });
      const inserted = await this.insertHandled.for(chunk.length).all(trx, values);
      for (const r of inserted) fresh.add(deliveryKey(r.subscriber, r.event_id));
    }
    const handled: Array<[Subscription, EventEnvelope]> = [];
    for (const [subscription, event] of ready) {
      if (!fresh.has(deliveryKey(this.subscriberId(subscription), event.id))) continue; // a redelivery
      await this.invoke(subscription, event, trx, 1);
      handled.push([subscription, event]);
    }
    return handled;
  }

  private async receiveOne(subscription: Subscription, event: EventEnvelope): Promise<void> {
    const subscriber = this.subscriberId(subscription);
    try {
      const queued = new Set<string>();
      const handled = await this.db.transaction((trx) => {
        queued.clear();
        return this.accept(trx, [[subscription, event]], queued);
      });
      this.markCommittedQueue(queued);
      if (handled.length > 0) this.notifyHandled(subscriber, event, 1);
      return;
    } catch (err) {
      // The handler's effect rolled back with its transaction; record the failure instead.
      const now = this.clock.now();
      const permanent = err instanceof PermanentEventError || this.options.maxAttempts <= 1;
      const next = permanent ? null : now + backoffDelayMs(1, this.options.retryBaseMs);
      await this.db.transaction((trx) =>
        trx('inbox')
          .insert(this.newRow(subscriber, event, permanent ? 'DEAD' : 'RETRYING', 1, next, errorText(err)))
          .onConflict(['subscriber', 'event_id'])
          .ignore(),
      );
      if (!permanent) this.markWaiting(waitingKey(subscriber, event.aggregateId));
      this.logFailure(subscriber, event, 1, err, permanent);
      this.scheduleWake();
    }
  }

  /**
   * Which (subscriber, aggregate) pairs have an event waiting (PENDING or RETRYING): later events
   * of those aggregates queue behind it. Kept in memory (one process serves a module's inbox) and
   * loaded from the table once, so the fast path needs no query for it.
   */
  private loadWaiting(): Promise<void> {
    this.waitingLoaded ??= (async () => {
      const rows: Array<{ subscriber: string; aggregate_id: string }> = await this.db
        .knex('inbox')
        .whereIn('status', ['PENDING', 'RETRYING'])
        .distinct('subscriber', 'aggregate_id');
      for (const r of rows) this.markWaiting(waitingKey(r.subscriber, r.aggregate_id));
    })();
    return this.waitingLoaded;
  }

  private markWaiting(key: string): void {
    this.marks += 1;
    this.waiting.set(key, this.marks);
  }

  /**
   * Marks again, once their transaction has committed, the aggregates whose events it queued: a
   * retry of an earlier event of one of them may have finished meanwhile and, reading the inbox
   * before those rows were visible (PostgreSQL; another connection), dropped the mark, which would
   * let a later event overtake the queued one.
   */
  private markCommittedQueue(queued: Set<string>): void {
    for (const key of queued) this.markWaiting(key);
  }

  /** Forgets an aggregate's waiting mark once none of its events waits any more (unless it was marked again meanwhile). */
  private async refreshWaiting(subscriber: string, aggregateId: string): Promise<void> {
    const key = waitingKey(subscriber, aggregateId);
    const mark = this.waiting.get(key);
    const still = await this.db.knex('inbox').where({ subscriber, aggregate_id: aggregateId }).whereIn('status', ['PENDING', 'RETRYING']).first('id');
    if (!still && this.waiting.get(key) === mark) this.waiting.delete(key);
  }

  private async drainDue(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const due: InboxRow[] = await this.db.knex('inbox').whereIn('status', ['PENDING', 'RETRYING']).orderBy('id').limit(200);
      if (due.length === 0) return;
      const blocked = new Set<string>();
      let progressed = false;
      for (const row of due) {
        if (this.stopped) return;
        const key = `${row.subscriber}\u0000${row.aggregate_id}`;
        if (blocked.has(key)) continue;
        // The first waiting row of an aggregate goes first; later ones wait for it.
        blocked.add(key);
        if (row.status === 'RETRYING' && Number(row.next_attempt_at_ms) > now) continue;
        await this.retry(row);
        progressed = true;
      }
      // Another round lets events queued behind the ones just handled go too.
      if (!progressed) {
        this.scheduleWake();
        return;
      }
    }
  }

  private async retry(row: InboxRow): Promise<void> {
    const subscription = this.findSubscription(row.subscriber, row.type);
    const event: EventEnvelope = JSON.parse(row.envelope ?? 'null');
    const attempt = row.attempts + 1;
    const now = this.clock.now();
    if (!subscription) {
      await this.db
        .knex('inbox')
        .where({ id: row.id })
        .update({ status: 'DEAD', attempts: attempt, last_error: `No subscriber ${row.subscriber} for ${row.type}` });
      return;
    }
    try {
      const handled = await this.db.transaction(async (trx) => {
        // Claimed first, with a status guard, in the handler's own transaction: if another process
        // (or an earlier pass) has handled it meanwhile, nothing is done twice.
        const claimed = await trx('inbox')
          .where({ id: row.id })
          .whereIn('status', ['PENDING', 'RETRYING'])
          .update({ status: 'DONE', attempts: attempt, envelope: null, last_error: null, handled_at_ms: now, next_attempt_at_ms: null });
        if (claimed !== 1) return false;
        await this.invoke(subscription, event, trx, attempt);
        return true;
      });
      if (handled) this.notifyHandled(row.subscriber, event, attempt);
      await this.refreshWaiting(row.subscriber, row.aggregate_id);
    } catch (err) {
      const dead = err instanceof PermanentEventError || attempt >= this.options.maxAttempts;
      await this.db
        .knex('inbox')
        .where({ id: row.id })
        .whereIn('status', ['PENDING', 'RETRYING'])
        .update({
          status: dead ? 'DEAD' : 'RETRYING',
          attempts: attempt,
          last_error: errorText(err),
          next_attempt_at_ms: dead ? null : now + backoffDelayMs(attempt, this.options.retryBaseMs),
        });
      this.logFailure(row.subscriber, event, attempt, err, dead);
      if (dead) await this.refreshWaiting(row.subscriber, row.aggregate_id);
    }
  }

  private async invoke(subscription: Subscription, event: EventEnvelope, trx: Transaction, attempt: number): Promise<void> {
    const contract = integrationEvents[event.type];
    const parsed = contract?.payload.safeParse(event.payload);
    if (!parsed?.success) throw new PermanentEventError(`Payload of ${event.type} breaks its contract: ${parsed?.error.message ?? 'unknown type'}`);
    await runInContext({ correlationId: event.correlationId, causationId: event.id }, async () => {
      this.logger.debug({ event: event.type, eventId: event.id, subscriber: this.subscriberId(subscription), attempt }, 'event handling');
      await subscription.handler.handle(event, trx);
    });
  }

  private findSubscription(subscriber: string, type: string): Subscription | undefined {
    return this.byType.get(type)?.find((s) => this.subscriberId(s) === subscriber);
  }

  private newRow(subscriber: string, event: EventEnvelope, status: InboxStatus, attempts: number, nextAttemptAt: number | null, error: string | null) {
    return {
      subscriber,
      event_id: event.id,
      type: event.type,
      aggregate_id: event.aggregateId,
      status,
      attempts,
      next_attempt_at_ms: nextAttemptAt,
      last_error: error,
      // Kept only while the event still has to be handled.
      envelope: status === 'DONE' ? null : JSON.stringify(event),
      received_at_ms: this.clock.now(),
    };
  }

  private notifyHandled(subscriber: string, event: EventEnvelope, attempt: number): void {
    runInContext({ correlationId: event.correlationId, causationId: event.id }, () =>
      this.logger.info({ event: event.type, eventId: event.id, subscriber, attempt, outcome: 'handled' }, 'event handled'),
    );
    // Whoever waits on this aggregate here looks again (see Changes).
    this.changes.notify(this.moduleName, event.aggregateId);
  }

  private logFailure(subscriber: string, event: EventEnvelope, attempt: number, err: unknown, dead = false): void {
    runInContext({ correlationId: event.correlationId, causationId: event.id }, () =>
      this.logger.warn(
        { event: event.type, eventId: event.id, subscriber, attempt, outcome: dead ? 'dead-lettered' : 'retry', err },
        dead ? 'event dead-lettered' : 'event handler failed, will retry',
      ),
    );
  }

  private scheduleWake(): void {
    if (this.stopped || this.timer) return;
    void this.nextDueAt()
      .then((at) => {
        if (at === null || this.stopped || this.timer) return;
        this.timer = setTimeout(
          () => {
            this.timer = null;
            void this.processDue().catch((err) => this.logger.error({ err: errorText(err) }, 'inbox processing failed'));
          },
          Math.max(0, at - this.clock.now()),
        );
        this.timer.unref();
      })
      .catch(() => undefined);
  }

  private async nextDueAt(): Promise<number | null> {
    const row = await this.db.knex('inbox').where({ status: 'RETRYING' }).min({ at: 'next_attempt_at_ms' }).first();
    return row?.at == null ? null : Number(row.at);
  }
}

/** Rows per multi-row insert: 11 columns each stays far below SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 200;

/** One event for one subscriber: what the inbox's unique (subscriber, event_id) dedupes. */
function deliveryKey(subscriber: string, eventId: string): string {
  return `${subscriber}\u0000${eventId}`;
}

function waitingKey(subscriber: string, aggregateId: string): string {
  return `${subscriber}\u0000${aggregateId}`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}
