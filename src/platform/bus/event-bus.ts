import type { Clock } from '../clock/clock';
import type { StoredDatabase } from '../db/module-database';
import type { Logger } from '../logging/logger';
import { Changes } from './changes';
import { type DeadLetter, Inbox } from './inbox';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';
import type { Subscription } from './subscription';
import type { EventConsumer, EventTransport } from './transport';

export interface BusOptions {
  maxAttempts: number;
  retryBaseMs: number;
  sweepIntervalMs: number;
}

export interface ModuleBusStats {
  module: string;
  outboxBacklog: number;
  oldestUndeliveredAgeMs: number | null;
  deliveriesRetrying: number;
  deliveriesQueued: number;
  deadLetters: number;
  delivered: number;
}

interface ModuleEndpoints {
  db: StoredDatabase;
  outbox: Outbox;
  relay: OutboxRelay;
  inbox: Inbox;
}

/**
 * The outbox-backed event bus: per module an outbox (publishing side), a relay (after commit and
 * on a sweep) and an inbox (subscribing side). The record of every event is the outboxes and the
 * inboxes; `changes` only carries in-process notices ("look again at this aggregate") to waiters.
 */
export class EventBus {
  readonly changes: Changes;
  private readonly modules = new Map<string, ModuleEndpoints>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(
    private readonly transport: EventTransport,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: BusOptions,
    shutdown?: AbortSignal,
  ) {
    this.changes = new Changes(shutdown);
  }

  /** Gives a module its outbox and inbox; returns the outbox it publishes through. */
  attach(db: StoredDatabase): Outbox {
    const outbox = new Outbox(db, this.clock, this.changes);
    const relay = new OutboxRelay(db, this.transport, this.clock, this.logger, this.options.retryBaseMs);
    const inbox = new Inbox(db, this.clock, this.logger, this.changes, this.options);
    this.transport.register(inbox);
    db.onPublishedCommit(() => relay.kick());
    this.modules.set(db.moduleName, { db, outbox, relay, inbox });
    return outbox;
  }

  /**
   * A consumer outside any module that keeps no record (an in-memory view every process needs,
   * such as revoked queue passes): it must accept any event, and applying one twice must be harmless.
   */
  listen(consumer: EventConsumer): void {
    this.transport.register(consumer);
  }

  subscribe(moduleName: string, subscription: Subscription): void {
    this.endpoints(moduleName).inbox.add(subscription);
  }

  get isRunning(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const m of this.modules.values()) m.relay.start();
    void this.transport.start?.().catch((err) => this.logger.error({ err }, 'bus: the transport could not start'));
    this.sweepTimer = setInterval(() => void this.sweep().catch((err) => this.logger.error({ err }, 'bus sweep failed')), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** One pass of everything periodic: relays pick up what is left in outboxes, inboxes retry what is due. */
  async sweep(): Promise<void> {
    for (const m of this.modules.values()) m.relay.kick();
    await Promise.all([...this.modules.values()].map((m) => m.relay.flush()));
    await Promise.all([...this.modules.values()].map((m) => m.inbox.processDue()));
  }

  /** Waits until every relay and inbox is idle and nothing is due: handy for tests and shutdown. */
  async drain(maxRounds = 50): Promise<void> {
    for (let i = 0; i < maxRounds; i += 1) {
      await this.sweep();
      const stats = await this.stats();
      if (stats.every((s) => s.outboxBacklog === 0)) return;
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    // Passes under way still hand over what is committed before the relays stop.
    await Promise.all([...this.modules.values()].map((m) => m.relay.flush()));
    await Promise.all(
      [...this.modules.values()].map(async (m) => {
        await m.relay.stop();
        await m.inbox.stop();
      }),
    );
    await this.transport.close();
  }

  async stats(): Promise<ModuleBusStats[]> {
    const now = this.clock.now();
    return Promise.all(
      [...this.modules.values()].map(async (m) => {
        const [backlog, inbox] = await Promise.all([m.relay.backlog(), m.inbox.stats()]);
        return {
          module: m.db.moduleName,
          outboxBacklog: backlog.count,
          oldestUndeliveredAgeMs: backlog.oldestCreatedAtMs === null ? null : Math.max(0, now - backlog.oldestCreatedAtMs),
          deliveriesRetrying: inbox.retrying,
          deliveriesQueued: inbox.pending,
          deadLetters: inbox.dead,
          delivered: m.relay.delivered,
        };
      }),
    );
  }

  relaysRunning(): boolean {
    return this.started && [...this.modules.values()].every((m) => m.relay.isRunning);
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const lists = await Promise.all([...this.modules.values()].map((m) => m.inbox.deadLetters()));
    return lists.flat();
  }

  /** Replays a dead letter by its id (`<module>:<n>`). False when there is none. */
  async replayDeadLetter(id: string): Promise<boolean> {
    const match = /^([a-z-]+):(\d+)$/.exec(id);
    const module = match ? this.modules.get(match[1]) : undefined;
    if (!match || !module) return false;
    return module.inbox.replay(Number(match[2]));
  }

  async purge(olderThanMs: number): Promise<void> {
    for (const m of this.modules.values()) {
      await m.relay.purgeDispatched(olderThanMs);
      await m.inbox.purgeHandled(olderThanMs);
    }
  }

  private endpoints(moduleName: string): ModuleEndpoints {
    const m = this.modules.get(moduleName);
    if (!m) throw new Error(`Module ${moduleName} is not attached to the bus`);
    return m;
  }
}
