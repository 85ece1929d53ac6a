import type { Clock } from '../clock/clock';
import type { Db, StoredDatabase, Transaction } from '../db/module-database';

/** A live process renews its record this often… */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** …and one that has not for this long is gone. */
export const INCARNATION_LEASE_MS = 20_000;
const STOPPED_RETENTION_MS = 7 * 24 * 3600 * 1000;

/**
 * The processes that have used one module database, so that what one of them left in flight can
 * be told apart: still being worked on (its process renews its record) or abandoned (the process
 * stopped, missed its lease, or was replaced by a newer incarnation of the same slot, which is
 * what a restart after `kill -9` looks like). Each process is one incarnation: a random id
 * for its lifetime.
 */
export class ProcessIncarnations {
  private registered = false;

  constructor(
    private readonly db: StoredDatabase,
    private readonly clock: Clock,
    readonly id: string,
    private readonly slot: string,
  ) {}

  /** Records this incarnation, and every older one of its slot as replaced. */
  async register(): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (trx) => {
      await trx('process_incarnations').where({ slot: this.slot }).whereNull('stopped_at_ms').update({ stopped_at_ms: now });
      await trx('process_incarnations')
        .where('stopped_at_ms', '<', now - STOPPED_RETENTION_MS)
        .delete();
      await trx('process_incarnations').insert({ id: this.id, slot: this.slot, started_at_ms: now, heartbeat_at_ms: now, stopped_at_ms: null });
    });
    this.registered = true;
  }

  async heartbeat(): Promise<void> {
    if (!this.registered) return;
    await this.db.transaction((trx) => trx('process_incarnations').where({ id: this.id }).update({ heartbeat_at_ms: this.clock.now() }));
  }

  async stop(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    await this.db.transaction((trx) => trx('process_incarnations').where({ id: this.id }).update({ stopped_at_ms: this.clock.now() }));
  }

  /** Whether the incarnation may still be working: not stopped or replaced, and within its lease. */
  async isAlive(q: Transaction | Db, id: string): Promise<boolean> {
    if (id === this.id) return this.registered;
    const row: { heartbeat_at_ms: number; stopped_at_ms: number | null } | undefined = await q('process_incarnations')
      .where({ id })
      .first('heartbeat_at_ms', 'stopped_at_ms');
    return row !== undefined && row.stopped_at_ms === null && this.clock.now() - Number(row.heartbeat_at_ms) < INCARNATION_LEASE_MS;
  }
}
