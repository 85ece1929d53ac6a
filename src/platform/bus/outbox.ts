import { integrationEvents, type EventEnvelope, type EventPayload, type EventType } from '../../contracts/events';
import type { Clock } from '../clock/clock';
import { currentContext, newCorrelationId } from '../context/request-context';
import type { ModuleDatabase, Transaction } from '../db/module-database';
import { timeOrderedUuid } from './event-id';

/**
 * Publishing an event = writing it to the publisher's outbox inside the caller's transaction.
 * If the transaction rolls back, the event never existed. The relay delivers it after commit.
 */
export class Outbox {
  constructor(
    private readonly db: ModuleDatabase,
    private readonly clock: Clock,
  ) {}

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
    await trx('outbox').insert({
      event_id: envelope.id,
      type,
      version: envelope.version,
      aggregate_id: envelope.aggregateId,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      occurred_at: envelope.occurredAt,
      created_at_ms: now,
      payload: JSON.stringify(payload),
    });
    this.db.markPublished();
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
