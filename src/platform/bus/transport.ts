import type { EventEnvelope } from '../../contracts/events';

/** Where a subscriber's side of the bus takes events in: it stores them in its inbox and handles them. */
export interface EventConsumer {
  readonly moduleName: string;
  /**
   * False for a listener that keeps no record (an in-memory view every process needs): a broker
   * replays recent events to it at each start instead of keeping a durable position for it.
   */
  readonly records?: boolean;
  /**
   * For a consumer that only one replica of its module may run (an inbox): resolves once this
   * process may take events, and tells, batch by batch, whether it still may.
   */
  whenActive?(): Promise<void>;
  isActive?(): boolean;
  /** The event types this consumer subscribes to. */
  eventTypes(): ReadonlySet<string>;
  /**
   * Resolves once every event is durably accepted (handled, or queued for retry), in order.
   * Taking a batch lets a busy consumer handle many events in one transaction.
   */
  receive(events: EventEnvelope[]): Promise<void>;
}

/**
 * Carries committed events from a publisher's relay to every consumer: in-process (the
 * monolith), or NATS JetStream (JetStreamTransport) when modules run in separate processes.
 */
export interface EventTransport {
  register(consumer: EventConsumer): void;
  /** Begins delivering to the registered consumers (a broker's consumers start reading). */
  start?(): Promise<void>;
  /**
   * Resolves once the events of module `from` are safe: in-process, once every consumer
   * subscribed to one of their types has accepted them; on a broker, once it has stored them.
   */
  publish(from: string, events: EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

export class InProcessTransport implements EventTransport {
  private readonly consumers: EventConsumer[] = [];

  register(consumer: EventConsumer): void {
    this.consumers.push(consumer);
  }

  async publish(_from: string, events: EventEnvelope[]): Promise<void> {
    // Every consumer takes the batch at once, each in its own database: none waits for another's
    // transaction, and each gets its chance even if another could not accept the events.
    const deliveries: Array<Promise<void>> = [];
    for (const consumer of this.consumers) {
      const types = consumer.eventTypes();
      const wanted = events.filter((e) => types.has(e.type));
      if (wanted.length > 0) deliveries.push(consumer.receive(wanted));
    }
    const refused = (await Promise.allSettled(deliveries)).find((r) => r.status === 'rejected');
    if (refused) throw refused.reason;
  }

  async close(): Promise<void> {}
}
