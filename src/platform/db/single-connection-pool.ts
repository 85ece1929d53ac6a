/**
 * The pool knex is given for an embedded SQLite database: exactly one connection, handed out
 * first come, first served. SQLite has one writer anyway; tarn's general-purpose pool cost about
 * 150 µs per acquire-and-release here, more than the queries themselves.
 * It speaks the part of tarn's interface knex uses (`connectionPool` option).
 */
export class SingleConnectionPool<C> {
  private connection: C | null = null;
  private opening: Promise<C> | null = null;
  private busy = false;
  private readonly waiters: Array<{ resolve: (c: C) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private destroyed = false;

  constructor(
    private readonly open: () => C,
    private readonly close: (c: C) => void,
    private readonly acquireTimeoutMs: number,
  ) {}

  acquire(): { promise: Promise<C> } {
    return { promise: this.take() };
  }

  release(connection: C): boolean {
    if (connection !== this.connection) return false;
    const next = this.waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(connection);
    } else {
      this.busy = false;
    }
    return true;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('The database is closed'));
    }
    if (this.connection) this.close(this.connection);
    this.connection = null;
  }

  /**
   * The same connection, handed out without taking the lock: for the knex handle a transaction
   * uses while it holds the lock (every query inside the transaction goes through it).
   */
  holderView(isHeld: () => boolean): {
    acquire(): { promise: Promise<C> };
    release(c: C): boolean;
    destroy(): Promise<void>;
    numFree(): number;
    numUsed(): number;
    numPendingAcquires(): number;
    numPendingCreates(): number;
  } {
    return {
      acquire: () => ({
        // A handle kept past its transaction must fail loudly, not run outside any transaction.
        promise:
          this.connection && isHeld() ? Promise.resolve(this.connection) : Promise.reject(new Error('This transaction handle is used outside its transaction')),
      }),
      release: () => true,
      destroy: async () => undefined,
      numFree: () => 1,
      numUsed: () => 0,
      numPendingAcquires: () => 0,
      numPendingCreates: () => 0,
    };
  }

  /** The open connection, if any: for a caller that already holds the lock (a transaction). */
  get current(): C | null {
    return this.connection;
  }

  numFree(): number {
    return this.connection && !this.busy ? 1 : 0;
  }

  numUsed(): number {
    return this.busy ? 1 : 0;
  }

  numPendingAcquires(): number {
    return this.waiters.length;
  }

  numPendingCreates(): number {
    return 0;
  }

  private async take(): Promise<C> {
    if (this.destroyed) throw new Error('The database is closed');
    const connection = this.connection ?? (await this.ensureOpen());
    if (!this.busy) {
      this.busy = true;
      return connection;
    }
    return new Promise<C>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`Timed out after ${this.acquireTimeoutMs} ms waiting for the database connection: is a query running outside its transaction?`));
      }, this.acquireTimeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  private ensureOpen(): Promise<C> {
    this.opening ??= Promise.resolve().then(() => {
      this.connection = this.open();
      return this.connection;
    });
    return this.opening;
  }
}
