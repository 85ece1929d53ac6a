import type { EventEnvelope } from '../../contracts/events';

/** Where a subscriber's side of the bus takes events in: it stores them in its inbox and handles them. */
export interface EventConsumer {
  readonly moduleName: string;
  /** The event types this consumer subscribes to. */
  eventTypes(): ReadonlySet<string>;
  /**
   * Resolves once every event is durably accepted (handled, or queued for retry), in order.
   * Taking a batch lets a busy consumer handle many events in one transaction.
   */
  receive(events: EventEnvelope[]): Promise<void>;
}

/**
 * Carries committed events from a publisher's relay to every consumer. In-process today; a
 * NATS JetStream transport implements the same contract when modules run as separate processes
 * (publish = a JetStream publish acknowledged by the stream; consumers = durable consumers).
 */
export interface EventTransport {
  register(consumer: EventConsumer): void;
  /** Resolves once every consumer subscribed to one of the events' types has accepted them. */
  publish(events: EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

export class InProcessTransport implements EventTransport {
  private readonly consumers: EventConsumer[] = [];

  register(consumer: EventConsumer): void {
    this.consumers.push(consumer);
  }

  async publish(events: EventEnvelope[]): Promise<void> {
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
