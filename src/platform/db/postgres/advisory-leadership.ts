import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Leadership } from '../leadership';

/** How often a follower tries to take the lead, and a leader checks that its session still holds it. */
const CHECK_INTERVAL_MS = 1000;

/**
 * Leadership of a module among its replicas on PostgreSQL: a session-level advisory lock, taken
 * with `pg_try_advisory_lock` on a connection of its own (not the pool's: the lock lives as long as
 * that session). If the session ends (the process dies, the network drops), the server releases
 * the lock and another replica takes it within CHECK_INTERVAL_MS; a leader that finds its session
 * gone stops leading at once.
 */
export class AdvisoryLeadership implements Leadership {
  private leading = false;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private checking: Promise<void> | null = null;
  private readonly leadCallbacks: Array<() => void> = [];
  private readonly waiters: Array<() => void> = [];
  private readonly key: string;

  constructor(
    private readonly connectionString: string,
    moduleName: string,
    private readonly onChange: (leading: boolean) => void = () => undefined,
  ) {
    // A 64-bit key from the module's name: the same in every replica, distinct per module.
    this.key = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`ticketing-leader:${moduleName}`).digest('hex').slice(0, 16)}`)).toString();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  onLead(callback: () => void): void {
    this.leadCallbacks.push(callback);
    if (this.leading) callback();
  }

  whenLeader(): Promise<void> {
    if (this.leading) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  start(): Promise<void> {
    if (this.timer || this.stopped) return Promise.resolve();
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
    return this.check();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.checking;
    this.setLeading(false);
    // Ending the session releases the lock for the next replica.
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5000 });
        client.on('error', () => {
          // The session is gone, and the lock with it.
          if (this.client === client) this.client = null;
          this.setLeading(false);
        });
        await client.connect();
        this.client = client;
      }
      if (this.leading) {
        await this.client.query('select 1');
        return;
      }
      const { rows } = await this.client.query<{ taken: boolean }>('select pg_try_advisory_lock($1::bigint) as taken', [this.key]);
      if (rows[0]?.taken) this.setLeading(true);
    } catch {
      const client = this.client;
      this.client = null;
      this.setLeading(false);
      await client?.end().catch(() => undefined);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading || (leading && this.stopped)) return;
    this.leading = leading;
    this.onChange(leading);
    if (!leading) return;
    for (const resolve of this.waiters.splice(0)) resolve();
    for (const callback of this.leadCallbacks) callback();
  }
}
