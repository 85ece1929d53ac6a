import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { EventEnvelope } from '../../contracts/events';
import type { Logger } from '../logging/logger';
import { backoffDelayMs } from './backoff';
import type { EventConsumer, EventTransport } from './transport';

const DAY_MS = 24 * 3600 * 1000;
const NANOS_PER_MS = 1_000_000;
/** How many messages one inbox transaction takes at most. */
const MAX_BATCH = 200;
/**
 * How long the broker waits for an ack before it hands a message out again: after a subscriber's
 * process died, what it had taken comes back this soon. A batch that takes longer tells the broker
 * it is still being worked on (WORKING_EVERY_MS).
 */
const ACK_WAIT_MS = 5_000;
const WORKING_EVERY_MS = 1_500;
/** How far back a listener (an in-memory view that keeps no record) reads when its process starts. */
const LISTENER_REPLAY_MS = DAY_MS;

export interface JetStreamSettings {
  url: string;
  /** The system's name on the broker: its stream, its subjects' first token and its consumers' prefix. */
  namespace: string;
  /** Every module that publishes: an inbox gets a consumer per publisher, which keeps each publisher's order. */
  publishers: readonly string[];
  /** How long the stream keeps events (default 7 days). */
  maxAgeMs?: number;
  /** Pause before a consumer whose inbox failed takes its messages again (default 200 ms, growing). */
  retryBaseMs?: number;
}

/** Counts the transport reports (wired to the platform's metrics). */
export interface JetStreamObserver {
  publishFailed(module: string): void;
}

/** A name NATS takes for a stream, consumer or subject token: letters, digits, `_` and `-`. */
export function brokerName(value: string): string {
  const name = value.replace(/[^A-Za-z0-9_-]/g, '_');
  if (name.length === 0) throw new Error(`"${value}" gives no name NATS accepts`);
  return name;
}

/**
 * The event bus between processes: NATS JetStream ([ADR 0010](../../../docs/adr/0010-jetstream-stream-and-consumers.md)).
 * One stream per system (`BUS_NAMESPACE`), subjects `<namespace>.<publisher>.<event type>`, file
 * storage, limits retention. A relay's publish carries the event id as the message id, so the
 * stream drops a repeat (a relay that crashed between publish and marking its rows); it resolves
 * once the stream has stored every event. Each module's inbox reads through durable consumers,
 * one per publishing module (NATS 2.9 takes one filter subject per consumer, and one publisher's
 * order is what keeps an aggregate's events in order), and acks a batch only after the inbox
 * recorded it. Redeliveries are absorbed by the inbox (one effect per event id); retries,
 * backoff and dead letters stay the inbox's.
 */
export class JetStreamTransport implements EventTransport {
  private readonly consumers: EventConsumer[] = [];
  private readonly loops: Array<Promise<void>> = [];
  private readonly open: ConsumerMessages[] = [];
  private started = false;
  private closing = false;
  private observer: JetStreamObserver | undefined;
  /** Settles when close begins: whatever waits for its turn (a follower's inbox) stops waiting. */
  private readonly closed: Promise<void>;
  private markClosed: () => void = () => undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly settings: JetStreamSettings,
    private readonly logger: Logger,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  static async connect(settings: JetStreamSettings, logger: Logger): Promise<JetStreamTransport> {
    const nc = await connect({ servers: settings.url, name: `ticketing:${settings.namespace}`, maxReconnectAttempts: -1 });
    try {
      const jsm = await jetstreamManager(nc);
      const transport = new JetStreamTransport(nc, jsm, jetstream(nc), settings, logger);
      await transport.ensureStream();
      return transport;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  observe(observer: JetStreamObserver): void {
    this.observer = observer;
  }

  get streamName(): string {
    return brokerName(this.settings.namespace);
  }

  register(consumer: EventConsumer): void {
    this.consumers.push(consumer);
    if (this.started) this.consume(consumer);
  }

  /** Starts reading for every registered consumer (and for any registered later). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const consumer of this.consumers) this.consume(consumer);
  }

  async publish(from: string, events: EventEnvelope[]): Promise<void> {
    // Written in order on one connection, so the stream stores them in order; acknowledged together.
    const acks = events.map((event) => this.js.publish(this.subject(from, event.type), JSON.stringify(event), { msgID: event.id }));
    const refused = (await Promise.allSettled(acks)).find((r) => r.status === 'rejected');
    if (refused) {
      this.observer?.publishFailed(from);
      throw refused.reason;
    }
  }

  /** Pending (not yet delivered) and ack-pending messages of each durable consumer, by subscribing module. */
  async consumerLag(): Promise<Array<{ subscriber: string; publisher: string; pending: number; ackPending: number }>> {
    const lags = [];
    for (const consumer of this.consumers) {
      if (!isRecording(consumer)) continue;
      for (const publisher of this.settings.publishers) {
        const info = await this.jsm.consumers.info(this.streamName, this.durableName(consumer.moduleName, publisher)).catch(() => null);
        if (info) lags.push({ subscriber: consumer.moduleName, publisher, pending: info.num_pending, ackPending: info.num_ack_pending });
      }
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.markClosed();
    for (const messages of this.open) messages.stop();
    await Promise.allSettled(this.loops);
    await this.nc.drain().catch(() => this.nc.close());
  }

  private subject(publisher: string, type: string): string {
    return `${this.streamName}.${brokerName(publisher)}.${type}`;
  }

  private durableName(subscriber: string, publisher: string): string {
    return brokerName(`inbox_${subscriber}_from_${publisher}`);
  }

  private async ensureStream(): Promise<void> {
    const config = {
      name: this.streamName,
      subjects: [`${this.streamName}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: (this.settings.maxAgeMs ?? 7 * DAY_MS) * NANOS_PER_MS,
      duplicate_window: 2 * 60_000 * NANOS_PER_MS,
    };
    const existing = await this.jsm.streams.info(this.streamName).catch(() => null);
    if (!existing) await this.jsm.streams.add(config);
    else if (existing.config.max_age !== config.max_age) await this.jsm.streams.update(this.streamName, { max_age: config.max_age });
  }

  private consume(consumer: EventConsumer): void {
    if (isRecording(consumer)) {
      for (const publisher of this.settings.publishers) this.loops.push(this.runDurable(consumer, publisher));
    } else {
      for (const type of consumer.eventTypes()) this.loops.push(this.runListener(consumer, type));
    }
  }

  /**
   * An inbox's reading of one publisher's events: its durable consumer is created (or found) with
   * explicit acks, then batches go to the inbox in stream order and are acked once it has them.
   */
  private runDurable(consumer: EventConsumer, publisher: string): Promise<void> {
    const name = this.durableName(consumer.moduleName, publisher);
    const types = consumer.eventTypes();
    return this.keepReading(
      name,
      async () => {
        // One replica of a module reads its inbox's events (NATS 2.9 has no pinned consumers): its leader.
        await Promise.race([consumer.whenActive?.(), this.closed]);
        if (this.closing) return null;
        await this.ensureDurable(name, publisher);
        return (await this.js.consumers.get(this.streamName, name)).consume({ max_messages: 2 * MAX_BATCH });
      },
      async (batch) => {
        const events = batch.flatMap((m) => (types.has(typeOf(m.subject, this.streamName, publisher)) ? [m.json<EventEnvelope>()] : []));
        if (events.length > 0) await consumer.receive(events);
        for (const m of batch) m.ack();
      },
      () => consumer.isActive?.() !== false,
    );
  }

  /** The durable consumer of one subscriber for one publisher: created, or brought to this version's settings. */
  private async ensureDurable(name: string, publisher: string): Promise<void> {
    const config = {
      durable_name: name,
      filter_subject: `${this.streamName}.${brokerName(publisher)}.>`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ACK_WAIT_MS * NANOS_PER_MS,
      max_ack_pending: 10 * MAX_BATCH,
    };
    const existing = await this.jsm.consumers.info(this.streamName, name).catch(() => null);
    if (!existing) await this.jsm.consumers.add(this.streamName, config);
    else if (existing.config.ack_wait !== config.ack_wait || existing.config.max_ack_pending !== config.max_ack_pending)
      await this.jsm.consumers.update(this.streamName, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
  }

  /**
   * A listener (an in-memory view every process keeps, which records nothing) reads one event
   * type from every publisher through an ordered consumer of its own, from a day back: what it
   * needs to rebuild its view after a start.
   */
  private runListener(consumer: EventConsumer, type: string): Promise<void> {
    return this.keepReading(
      `${consumer.moduleName}:${type}`,
      async () => {
        const ordered = await this.js.consumers.get(this.streamName, {
          filter_subjects: `${this.streamName}.*.${type}`,
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(Date.now() - LISTENER_REPLAY_MS).toISOString(),
        });
        return ordered.consume({ max_messages: 2 * MAX_BATCH });
      },
      (batch) => consumer.receive(batch.map((m) => m.json<EventEnvelope>())),
    );
  }

  /**
   * Reads through the consumer `open` gives (null: nothing to read, close began) until close; if
   * reading itself fails (the broker is gone, the consumer was deleted), opens it again after a
   * growing pause, and what was not acked is handed out again.
   */
  private async keepReading(
    what: string,
    open: () => Promise<ConsumerMessages | null>,
    handle: (batch: JsMsg[]) => Promise<void>,
    active: () => boolean = () => true,
  ): Promise<void> {
    for (let failures = 0; !this.closing; ) {
      try {
        const messages = await open();
        if (!messages || !this.opened(messages)) return;
        try {
          await this.deliverInOrder(
            messages,
            async (batch) => {
              await handle(batch);
              failures = 0;
            },
            what,
            active,
          );
        } finally {
          this.open.splice(this.open.indexOf(messages), 1);
        }
      } catch (err) {
        if (this.closing) return;
        failures += 1;
        this.logger.error({ err, consumer: what, failures }, 'bus: a JetStream consumer failed; reading again after a pause');
        await Promise.race([new Promise((r) => setTimeout(r, backoffDelayMs(failures, this.settings.retryBaseMs ?? 200))), this.closed]);
      }
    }
  }

  /** Keeps `messages` to stop at close; false (and stopped) if close began while it was opening. */
  private opened(messages: ConsumerMessages): boolean {
    if (this.closing) {
      messages.stop();
      return false;
    }
    this.open.push(messages);
    return true;
  }

  /**
   * Hands what has arrived so far as one batch (at most MAX_BATCH), one batch at a time, in order.
   * A batch the consumer could not take (its database is down) is offered again after a growing
   * pause, never skipped, so order holds; meanwhile the broker is told every WORKING_EVERY_MS that
   * the messages are still being worked on, so it does not hand them to anyone else.
   */
  private async deliverInOrder(messages: ConsumerMessages, handle: (batch: JsMsg[]) => Promise<void>, what: string, active: () => boolean): Promise<void> {
    const arrivals = new Arrivals(messages, 2 * MAX_BATCH);
    for (;;) {
      const taken = await arrivals.take(MAX_BATCH);
      if (taken === null) break;
      if (!active()) {
        // This replica stopped leading: hand what it holds back for the new leader, and stop reading.
        messages.stop();
        for (const unread of [...taken, ...arrivals.drain()]) unread.nak();
        this.logger.warn({ consumer: what }, 'bus: no longer the module’s leader; stopped reading its events');
        return;
      }
      const stillWorking = setInterval(() => {
        for (const m of taken) m.working();
      }, WORKING_EVERY_MS);
      try {
        for (let failures = 0; ; ) {
          try {
            await handle(taken);
            break;
          } catch (err) {
            if (this.closing) return;
            failures += 1;
            this.logger.error(
              { err, consumer: what, failures, events: taken.length },
              'bus: a subscriber could not take a batch; offering it again after a pause',
            );
            await new Promise((r) => setTimeout(r, backoffDelayMs(failures, this.settings.retryBaseMs ?? 200)));
          }
        }
      } finally {
        clearInterval(stillWorking);
      }
    }
    if (!this.closing && active()) throw new Error('the consumer stopped delivering');
  }
}

/**
 * A consumer's messages as they arrive, read off its iterator at once (up to `room` not yet
 * taken) and taken out in batches of whatever has come. Deciding "more is pending, keep
 * collecting" from the iterator's own count stalled a batch: the client queues its next pull
 * request in the iterator among the messages, and once it has run it, @nats-io/jetstream 3.4
 * still counts it as pending until the next message arrives. A batch that ended behind one then
 * waited for an event not yet published (seen: 2 s in the bench's journey, 2 % of payments
 * refused because the hold had not reached the payment service in time).
 */
class Arrivals {
  private readonly queue: JsMsg[] = [];
  private ended = false;
  private failure: unknown = null;
  private readonly wakeTaker = new Wake();
  private readonly wakeReader = new Wake();

  constructor(messages: ConsumerMessages, room: number) {
    void this.read(messages, room);
  }

  /** What has arrived, at most `max`, waiting for the first if nothing has; null once the iterator ended. */
  async take(max: number): Promise<JsMsg[] | null> {
    while (this.queue.length === 0) {
      if (this.failure !== null) throw this.failure;
      if (this.ended) return null;
      await this.wakeTaker.next();
    }
    const batch = this.queue.splice(0, max);
    this.wakeReader.now();
    return batch;
  }

  /** Everything arrived and not taken. */
  drain(): JsMsg[] {
    return this.queue.splice(0, this.queue.length);
  }

  private async read(messages: ConsumerMessages, room: number): Promise<void> {
    try {
      for await (const m of messages) {
        this.queue.push(m);
        this.wakeTaker.now();
        while (this.queue.length >= room) await this.wakeReader.next();
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.ended = true;
      this.wakeTaker.now();
    }
  }
}

/** One waiter at a time, woken by the other side. */
class Wake {
  private resolve: (() => void) | null = null;

  next(): Promise<void> {
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  now(): void {
    const resolve = this.resolve;
    this.resolve = null;
    resolve?.();
  }
}

/** An inbox records what it takes (a durable consumer); a listener keeps nothing (an ordered one). */
function isRecording(consumer: EventConsumer): boolean {
  return consumer.records !== false;
}

function typeOf(subject: string, stream: string, publisher: string): string {
  return subject.slice(stream.length + brokerName(publisher).length + 2);
}
