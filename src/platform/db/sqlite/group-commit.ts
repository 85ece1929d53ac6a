import type Database from 'better-sqlite3';
import type { Connection, SingleConnectionPool } from './knex-sqlite-adapter';

/** A group ends at this many transactions, so no caller waits long for its COMMIT; the rest form the next group. */
const MAX_GROUP = 64;

interface Queued<T, Tag> {
  work: (connection: Connection) => Promise<T>;
  tag: Tag;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** How each transaction of a group ended, given to whoever submitted them once the group is over. */
export interface GroupOutcome<Tag> {
  committed: boolean;
  works: Array<{ tag: Tag; ok: boolean }>;
}

/**
 * Group commit on one SQLite connection ([ADR 0005](../../../../docs/adr/0005-group-commit.md)):
 * the transactions asked for in one turn of the event loop form a group. Each runs alone, in
 * turn, inside its own savepoint (a failure undoes only its own writes), and the group ends with
 * one COMMIT; no caller hears of success before that COMMIT. Under load a COMMIT (one WAL write
 * of every page touched) is the dearest statement of a transaction, so sharing it is what lets a
 * single SQLite writer keep up with many concurrent requests.
 */
export class GroupCommit<Tag> {
  private readonly queued: Array<Queued<unknown, Tag>> = [];
  private grouping = false;

  constructor(
    private readonly pool: SingleConnectionPool,
    /** Told once each group has ended, before any of its callers hears of it. */
    private readonly onGroupEnd: (outcome: GroupOutcome<Tag>) => void,
  ) {}

  run<T>(tag: Tag, work: (connection: Connection) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, tag, resolve, reject } as Queued<unknown, Tag>);
      if (!this.grouping) {
        this.grouping = true;
        void this.runGroups();
      }
    });
  }

  private async runGroups(): Promise<void> {
    try {
      while (this.queued.length > 0) await this.runGroup();
    } finally {
      this.grouping = false;
    }
  }

  private async runGroup(): Promise<void> {
    // The group forms while this turn of the event loop reads the other requests that arrived
    // with the first one; it starts once they have all queued their transactions.
    await new Promise((resolve) => setImmediate(resolve));
    let connection: Connection;
    try {
      connection = await this.pool.acquire().promise;
    } catch (err) {
      for (const q of this.queued.splice(0)) q.reject(err);
      return;
    }
    const done: Array<{ queued: Queued<unknown, Tag>; ok: boolean; value?: unknown; error?: unknown }> = [];
    let groupError: unknown = null;
    try {
      control(connection).begin.run();
      while (this.queued.length > 0 && done.length < MAX_GROUP) {
        const queued = this.queued.shift()!;
        control(connection).savepoint.run();
        try {
          const value = await queued.work(connection);
          control(connection).release.run();
          done.push({ queued, ok: true, value });
        } catch (error) {
          done.push({ queued, ok: false, error });
          if (!connection.inTransaction) {
            // SQLite rolled the whole transaction back (I/O error, full disk): the group's earlier work is gone too.
            groupError = error;
            break;
          }
          control(connection).rollbackToSavepoint.run();
          control(connection).release.run();
        }
      }
      if (groupError) throw groupError;
      control(connection).commit.run();
    } catch (err) {
      if (connection.inTransaction) control(connection).rollback.run();
      groupError ??= err;
    } finally {
      this.pool.release(connection);
    }
    this.onGroupEnd({ committed: !groupError, works: done.map((d) => ({ tag: d.queued.tag, ok: d.ok })) });
    for (const d of done) {
      if (groupError && d.ok) d.queued.reject(groupError);
      else if (d.ok) d.queued.resolve(d.value);
      else d.queued.reject(d.error);
    }
  }
}

interface ControlStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackToSavepoint: Database.Statement;
}

const controlStatements = new WeakMap<Connection, ControlStatements>();

/** Transaction control, prepared once per connection. */
function control(connection: Connection): ControlStatements {
  let statements = controlStatements.get(connection);
  if (!statements) {
    statements = {
      begin: connection.prepare('BEGIN'),
      commit: connection.prepare('COMMIT'),
      rollback: connection.prepare('ROLLBACK'),
      savepoint: connection.prepare('SAVEPOINT work'),
      release: connection.prepare('RELEASE work'),
      rollbackToSavepoint: connection.prepare('ROLLBACK TO work'),
    };
    controlStatements.set(connection, statements);
  }
  return statements;
}
