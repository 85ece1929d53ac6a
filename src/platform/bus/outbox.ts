import { type EventEnvelope, type EventPayload, type EventType, integrationEvents } from '../../contracts/events';
import type { Clock } from '../clock/clock';
import { currentContext, newCorrelationId } from '../context/request-context';
import type { StoredDatabase, Transaction } from '../db/module-database';
import type { Changes } from './changes';
import { timeOrderedUuid } from './event-id';

/**
 * Publishing an event = writing it to the publisher's outbox inside the caller's transaction.
 * If the transaction rolls back, the event never existed. The relay delivers it after commit.
 */
interface OutboxInsert extends Record<string, unknown> {
  eventId: string;
  type: string;
  version: number;
  aggregateId: string;
  correlationId: string;
  /** null when the event was not caused by another (a request's own change). */
  causationId: string | null;
  occurredAt: string;
  createdAtMs: number;
  payload: string;
}

export class Outbox {
  private readonly insert;

  constructor(
    private readonly db: StoredDatabase,
    private readonly clock: Clock,
    private readonly changes?: Changes,
  ) {
    // Every state change that publishes runs this: compiled once (see PreparedStatement).
    this.insert = db.prepare<OutboxInsert>((k, p) =>
      k('outbox').insert({
        event_id: p('eventId'),
        type: p('type'),
        version: p('version'),
        aggregate_id: p('aggregateId'),
        correlation_id: p('correlationId'),
        causation_id: p('causationId'),
        occurred_at: p('occurredAt'),
        created_at_ms: p('createdAtMs'),
        payload: p('payload'),
      }),
    );
  }

  get moduleName(): string {
    return this.db.moduleName;
  }

  async publish<T extends EventType>(trx: Transaction, type: T, aggregateId: string | number, payload: EventPayload<T>): Promise<EventEnvelope<T>> {
    const ctx = currentContext();
    const now = this.clock.now();
    const envelope: EventEnvelope<T> = {
      id: timeOrderedUuid(now),
      type,
      version: integrationEvents[type].version,
      occurredAt: new Date(now).toISOString(),
      aggregateId: String(aggregateId),
      correlationId: ctx?.correlationId ?? newCorrelationId(),
      causationId: ctx?.causationId ?? null,
      payload,
    };
    // Nothing to wait for: an event id is new by construction, so the insert cannot be refused.
    this.insert.defer(trx, {
      eventId: envelope.id,
      type,
      version: envelope.version,
      aggregateId: envelope.aggregateId,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      occurredAt: envelope.occurredAt,
      createdAtMs: now,
      payload: JSON.stringify(payload),
    });
    this.db.markPublished(trx);
    // Waiters on this aggregate look again once the transaction has ended (see Changes).
    const changes = this.changes;
    if (changes) this.db.afterTransaction(trx, () => changes.notify(this.db.moduleName, envelope.aggregateId));
    return envelope;
  }
}

export interface OutboxRow {
  seq: number;
  event_id: string;
  type: string;
  version: number;
  aggregate_id: string;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: string;
  payload: string;
}

export function envelopeFromRow(row: OutboxRow): EventEnvelope {
  return {
    id: row.event_id,
    type: row.type as EventType,
    version: row.version,
    occurredAt: row.occurred_at,
    aggregateId: row.aggregate_id,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    payload: JSON.parse(row.payload),
  } as EventEnvelope;
}
