import type { EventEnvelope, EventPayload, EventType } from '../../contracts/events';
import type { Transaction } from '../db/module-database';

/**
 * Handles one event inside the subscriber's own transaction: the inbox row that makes a
 * redelivery a no-op is written in that same transaction.
 */
export interface EventHandler<T extends EventType> {
  handle(event: EventEnvelope<T>, trx: Transaction): Promise<void>;
}

export interface Subscription<T extends EventType = EventType> {
  /** Unique within the module; the subscriber's id is `<module>.<name>`. */
  name: string;
  event: T;
  handler: EventHandler<T>;
  /**
   * Which events of the type this subscriber takes. The others are not handed to it and leave no
   * inbox row: two subscribers splitting one event type between them (the choreography and the
   * saga on `payment.success`) then cost one delivery each, not two.
   */
  only?: (payload: EventPayload<T>) => boolean;
}

/** Typed constructor: the handler must accept exactly the named event's payload. */
export function subscribe<T extends EventType>(
  event: T,
  name: string,
  handler: EventHandler<T>,
  options: { only?: (payload: EventPayload<T>) => boolean } = {},
): Subscription {
  return { event, name, handler, ...options } as unknown as Subscription;
}

/** A handler error that no retry can fix (e.g. a payload that fails its contract): parked at once. */
export class PermanentEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentEventError';
  }
}
