import { type EventEnvelope, type EventPayload, type EventType, integrationEvents } from '../../contracts/events';
import type { Clock } from '../clock/clock';
import { currentContext, newCorrelationId } from '../context/request-context';
import type { ModuleDatabase, Transaction } from '../db/module-database';
import type { Changes } from './changes';
import { timeOrderedUuid } from './event-id';

/**
 * Publishing an event = writing it to the publisher's outbox inside the caller's transaction.
 * If the transaction rolls back, the event never existed. The relay delivers it after commit.
 */
export class Outbox {
  private readonly insert;

  constructor(
    private readonly db: ModuleDatabase,
    private readonly clock: Clock,
    private readonly changes?: Changes,
  ) {
    // Every state change that publishes runs this: compiled once (see PreparedStatement).
    this.insert = db.prepare<[string, string, number, string, string, string | null, string, number, string]>((k, p) =>
      k('outbox').insert({
        event_id: p(0),
        type: p(1),
        version: p(2),
        aggregate_id: p(3),
        correlation_id: p(4),
        causation_id: p(5),
        occurred_at: p(6),
        created_at_ms: p(7),
        payload: p(8),
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
    await this.insert.run(
      trx,
      envelope.id,
      type,
      envelope.version,
      envelope.aggregateId,
      envelope.correlationId,
      envelope.causationId,
      envelope.occurredAt,
      now,
      JSON.stringify(payload),
    );
    this.db.markPublished();
    // Waiters on this aggregate look again once the transaction has ended (see Changes).
    if (this.changes) this.db.afterTransaction(() => this.changes!.notify(this.db.moduleName, envelope.aggregateId));
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
