import type { EventEnvelope } from '../../contracts/events';

/** Where a subscriber's side of the bus takes events in: it stores them in its inbox and handles them. */
export interface EventConsumer {
  readonly moduleName: string;
  /** The event types this consumer subscribes to. */
  eventTypes(): ReadonlySet<string>;
  /** Resolves once the event is durably accepted (handled, or queued for retry). */
  receive(event: EventEnvelope): Promise<void>;
}

/**
 * Carries committed events from a publisher's relay to every consumer. In-process today; a
 * NATS JetStream transport implements the same contract when modules run as separate processes
 * (publish = a JetStream publish acknowledged by the stream; consumers = durable consumers).
 */
export interface EventTransport {
  register(consumer: EventConsumer): void;
  /** Resolves once every consumer subscribed to the event's type has accepted it. */
  publish(event: EventEnvelope): Promise<void>;
  close(): Promise<void>;
}

export class InProcessTransport implements EventTransport {
  private readonly consumers: EventConsumer[] = [];

  register(consumer: EventConsumer): void {
    this.consumers.push(consumer);
  }

  async publish(event: EventEnvelope): Promise<void> {
    // Every consumer gets its chance even if an earlier one could not accept the event.
    let failure: unknown;
    for (const consumer of this.consumers) {
      if (!consumer.eventTypes().has(event.type)) continue;
      try {
        await consumer.receive(event);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
  }

  async close(): Promise<void> {}
}
