import type { Clock } from '../clock/clock';
import type { StoredDatabase } from '../db/module-database';
import type { Logger } from '../logging/logger';
import { backoffDelayMs } from './backoff';
import { envelopeFromRow, type OutboxRow } from './outbox';
import type { EventTransport } from './transport';

const BATCH = 200;

/**
 * Moves one module's committed outbox rows to the transport, oldest first. It runs right after
 * each commit and on a periodic sweep (which also covers rows left by a crash). One relay per
 * module and process runs at a time, so a row is never handed over twice concurrently; a row
 * handed over twice across a crash is harmless because subscribers dedupe by event id.
 */
export class OutboxRelay {
  private running: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  private pausedUntil = 0;
  private stopped = true;
  delivered = 0;

  constructor(
    private readonly db: StoredDatabase,
    private readonly transport: EventTransport,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retryBaseMs: number,
  ) {
    // Only the module's leader relays (one publisher per outbox); a replica that takes the lead catches up at once.
    db.leadership.onLead(() => this.kick());
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /**
   * Starts a pass now; passes never overlap, and a kick during a pass causes one more. The batch
   * comes from the database's group commit: one COMMIT (one kick) carries the events of every
   * request of an event-loop turn, so one relay pass, and one inbox transaction per subscriber,
   * serve them all.
   */
  kick(): void {
    if (this.stopped || !this.db.leadership.isLeader) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when the relay has nothing left it could deliver now. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  async backlog(): Promise<{ count: number; oldestCreatedAtMs: number | null }> {
    const row = await this.db.knex('outbox').whereNull('dispatched_at_ms').count({ n: '*' }).min({ oldest: 'created_at_ms' }).first();
    return { count: Number(row?.n ?? 0), oldestCreatedAtMs: row?.oldest == null ? null : Number(row.oldest) };
  }

  async purgeDispatched(olderThanMs: number): Promise<number> {
    return this.db
      .knex('outbox')
      .whereNotNull('dispatched_at_ms')
      .andWhere('dispatched_at_ms', '<', this.clock.now() - olderThanMs)
      .delete();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      if (this.clock.now() < this.pausedUntil) return;
      try {
        await this.pass();
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.pausedUntil = this.clock.now() + backoffDelayMs(this.failures, this.retryBaseMs);
        this.logger.error({ module: this.db.moduleName, err, failures: this.failures }, 'outbox relay could not deliver; will retry');
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const rows: OutboxRow[] = await this.db.knex('outbox').whereNull('dispatched_at_ms').orderBy('seq').limit(BATCH);
      if (rows.length === 0) return;
      // One hand-over for the whole batch: a busy subscriber handles it in one transaction.
      await this.transport.publish(this.db.moduleName, rows.map(envelopeFromRow));
      await this.db
        .knex('outbox')
        .whereIn(
          'seq',
          rows.map((r) => r.seq),
        )
        .update({ dispatched_at_ms: this.clock.now() });
      this.delivered += rows.length;
      if (rows.length < BATCH) return;
    }
  }
}
