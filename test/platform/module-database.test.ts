import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { DatabaseBusyError, migrationsRoot, type StoredDatabase, type Transaction } from '../../src/platform/db/module-database';
import { openModuleDatabase } from '../../src/platform/db/open-database';
import { moduleAddress, provisionSystem } from '../../src/platform/db/postgres/provision';
import { stateOf } from '../../src/platform/db/queryable';
import { SqliteDatabase } from '../../src/platform/db/sqlite/sqlite-database';
import { tempDataDir } from '../support/test-app';
import { freshDatabaseUrl, onPostgres } from '../support/test-backend';

/** A module database on the backend this pass runs on, provisioned and empty. */
async function openBackendDatabase(moduleName = 'payment'): Promise<StoredDatabase> {
  if (!onPostgres) return openModuleDatabase(moduleName, { kind: 'sqlite', dataDir: tempDataDir() });
  const url = freshDatabaseUrl();
  await provisionSystem(url, [moduleName]);
  return openModuleDatabase(moduleName, { kind: 'postgres', url, poolMax: 5 });
}

describe(`module database transactions (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let db: StoredDatabase;
  beforeEach(async () => {
    db = await openBackendDatabase();
    await db.knex.schema.createTable('counter', (t) => {
      t.integer('id').primary();
      t.integer('n').notNullable();
    });
    await db.knex('counter').insert({ id: 1, n: 0 });
  });
  afterEach(async () => db.close());

  const read = async () => (await db.knex('counter').where({ id: 1 }).first()).n as number;

  it('commits the work, or rolls all of it back when it throws', async () => {
    await db.transaction(async (trx) => {
      await trx('counter').where({ id: 1 }).update({ n: 5 });
    });
    expect(await read()).to.equal(5);
    const failed = db.transaction(async (trx) => {
      await trx('counter').where({ id: 1 }).update({ n: 99 });
      throw new Error('business rule broken');
    });
    await failed.then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.equal('business rule broken'),
    );
    expect(await read()).to.equal(5);
  });

  it('loses no update of 50 concurrent read-modify-write transactions (SQLite runs them in turn; PostgreSQL retries the ones that conflict)', async () => {
    await Promise.all(
      Array.from({ length: 50 }, () =>
        db.transaction(async (trx) => {
          const { n } = await trx('counter').where({ id: 1 }).first();
          await new Promise((r) => setImmediate(r));
          await trx('counter')
            .where({ id: 1 })
            .update({ n: n + 1 });
        }),
      ),
    );
    expect(await read()).to.equal(50);
  });

  it('lock: transactions that lock one key take turns, so a count-then-insert rule holds under 20 concurrent ones', async () => {
    await db.migrate([{ directory: path.join(migrationsRoot(), 'platform'), tableName: 'platform_migrations' }]);
    await db.knex.schema.createTable('seats_taken', (t) => {
      t.increments('id');
      t.integer('owner').notNullable();
    });
    const takeOne = (owner: number) =>
      db.transaction(async (trx) => {
        await db.lock(trx, 'seats-of-owner', owner);
        const [{ n }] = await trx('seats_taken').where({ owner }).count({ n: '*' });
        // A pause between the read and the write, where an unlocked rival would read the same count.
        await new Promise((r) => setImmediate(r));
        if (Number(n) >= 3) return false;
        await trx('seats_taken').insert({ owner });
        return true;
      });
    const results = await Promise.all([...Array.from({ length: 20 }, () => takeOne(1)), ...Array.from({ length: 5 }, () => takeOne(2))]);
    expect(results.filter(Boolean)).to.have.length(6);
    const counts = (await db.knex('seats_taken').select('owner').count({ n: '*' }).groupBy('owner').orderBy('owner')) as Array<{
      owner: number;
      n: number | string;
    }>;
    expect(counts.map((c) => [c.owner, Number(c.n)])).to.deep.equal([
      [1, 3],
      [2, 3],
    ]);
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    let kept: Transaction | null = null;
    await db.transaction(async (trx) => {
      kept = trx;
    });
    expect(() => kept!('counter')).to.throw(/outside its transaction/);
    expect(await read()).to.equal(0);
  });

  it('runs afterTransaction callbacks once the transaction has ended, committed or not', async () => {
    const seen: string[] = [];
    await db.transaction(async (trx) => {
      db.afterTransaction(trx, () => seen.push('after commit'));
      await trx('counter').where({ id: 1 }).update({ n: 1 });
      seen.push('in transaction');
    });
    await db
      .transaction(async (trx) => {
        db.afterTransaction(trx, () => seen.push('after rollback'));
        throw new Error('no');
      })
      .catch(() => undefined);
    expect(seen).to.deep.equal(['in transaction', 'after commit', 'after rollback']);
  });

  it('answers first(), pages and offset-only queries, in and out of a transaction', async () => {
    await db.knex('counter').insert(Array.from({ length: 9 }, (_, i) => ({ id: i + 2, n: i + 2 })));
    expect(await db.direct('counter').where({ id: 3 }).first()).to.deep.equal({ id: 3, n: 3 });
    expect(await db.direct('counter').where({ id: 99 }).first()).to.equal(undefined);
    expect((await db.direct('counter').orderBy('id').limit(2).offset(4)).map((r: { id: number }) => r.id)).to.deep.equal([5, 6]);
    expect((await db.direct('counter').orderBy('id').offset(8)).map((r: { id: number }) => r.id)).to.deep.equal([9, 10]);
    await db.transaction(async (trx) => {
      expect((await trx('counter').orderBy('id', 'desc').first('n')).n).to.equal(10);
    });
  });

  it('gives int8 and sums back as numbers, as SQLite does', async () => {
    await db.knex.schema.createTable('amounts', (t) => {
      t.bigInteger('at_ms').notNullable();
    });
    await db.knex('amounts').insert([{ at_ms: 1_767_225_600_000 }, { at_ms: 5 }]);
    const row = await db.direct('amounts').count({ n: '*' }).sum({ total: 'at_ms' }).max({ latest: 'at_ms' }).first();
    expect(row).to.deep.equal({ n: 2, total: 1_767_225_600_005, latest: 1_767_225_600_000 });
  });
});

describe('prepared statements (compiled once by knex, run with new values)', () => {
  let db: StoredDatabase;
  beforeEach(async () => {
    db = await openBackendDatabase();
    await db.knex.schema.createTable('items', (t) => {
      t.increments('id');
      t.string('name').notNullable();
      t.string('status').notNullable();
    });
  });
  afterEach(async () => db.close());

  it('keeps constants in place and takes named parameters in any order', async () => {
    const byNameAndStatus = db.prepare<{ name: string }, { id: number }>((k, p) =>
      k('items')
        .where({ name: p('name'), status: 'LIVE' })
        .first('id'),
    );
    const insert = db.prepare<{ name: string; status: string }>((k, p) =>
      k('items')
        .insert({ status: p('status'), name: p('name') })
        .returning('id'),
    );
    await db.transaction(async (trx) => {
      expect(await insert.all(trx, { name: 'a', status: 'LIVE' })).to.deep.equal([{ id: 1 }]);
      expect(await insert.all(trx, { status: 'GONE', name: 'b' })).to.deep.equal([{ id: 2 }]);
    });
    expect(await byNameAndStatus.first(db.direct, { name: 'a' })).to.deep.equal({ id: 1 });
    expect(await byNameAndStatus.first(db.direct, { name: 'b' })).to.equal(undefined);
    expect(await db.knex('items').orderBy('id').select('name', 'status')).to.deep.equal([
      { name: 'a', status: 'LIVE' },
      { name: 'b', status: 'GONE' },
    ]);
  });

  it('runs inside the transaction: a rollback undoes it, and run() counts the rows changed', async () => {
    await db.knex('items').insert([
      { name: 'a', status: 'LIVE' },
      { name: 'b', status: 'LIVE' },
    ]);
    const retire = db.prepare<{ from: string }>((k, p) =>
      k('items')
        .where({ status: p('from') })
        .update({ status: 'GONE' }),
    );
    await db
      .transaction(async (trx) => {
        expect(await retire.run(trx, { from: 'LIVE' })).to.equal(2);
        throw new Error('undo');
      })
      .catch(() => undefined);
    expect((await db.knex('items').where({ status: 'LIVE' })).length).to.equal(2);
    expect(await db.transaction((trx) => retire.run(trx, { from: 'LIVE' }))).to.equal(2);
  });

  it('compiles a keyed family once per key', async () => {
    const byStatus = db.prepareEach<string, { name: string }>((k, p, status) => k('items').insert({ name: p('name'), status }));
    expect(byStatus.for('LIVE')).to.equal(byStatus.for('LIVE'));
    await db.transaction(async (trx) => {
      expect(await byStatus.for('LIVE').run(trx, { name: 'a' })).to.equal(1);
      expect(await byStatus.for('GONE').run(trx, { name: 'b' })).to.equal(1);
    });
    expect(await db.knex('items').orderBy('id').select('name', 'status')).to.deep.equal([
      { name: 'a', status: 'LIVE' },
      { name: 'b', status: 'GONE' },
    ]);
  });

  describe('deferred writes', () => {
    const insertItem = () => db.prepare<{ name: string }>((k, p) => k('items').insert({ name: p('name'), status: 'LIVE' }));

    it('are seen by the statements after them and committed with the transaction', async () => {
      const insert = insertItem();
      const seen = await db.transaction(async (trx) => {
        insert.defer(trx, { name: 'a' });
        insert.defer(trx, { name: 'b' });
        return (await trx('items').orderBy('id')).map((r: { name: string }) => r.name);
      });
      expect(seen).to.deep.equal(['a', 'b']);
      expect((await db.knex('items').orderBy('id')).map((r: { name: string }) => r.name)).to.deep.equal(['a', 'b']);
    });

    it('fail the transaction with their own error when one fails, even if nothing waited for it, and nothing commits', async () => {
      const insert = insertItem();
      const broken = db.prepare<{ name: string }>((k, p) => k('items').insert({ name: p('name'), status: k.raw('null') }));
      const committed: string[] = [];
      db.onCommit(() => committed.push('commit'));
      const outcome = await db
        .transaction(async (trx) => {
          insert.defer(trx, { name: 'a' });
          broken.defer(trx, { name: 'b' });
          return 'work done';
        })
        .catch((err: Error) => err);
      expect(outcome).to.be.instanceOf(Error);
      expect((outcome as Error).message).to.match(/null|NOT NULL/i);
      expect(await db.knex('items')).to.deep.equal([]);
      expect(committed).to.deep.equal([]);
    });

    it('report the deferred failure, not the error it caused in a later statement', async () => {
      const broken = db.prepare<{ name: string }>((k, p) => k('items').insert({ name: p('name'), status: k.raw('null') }));
      const outcome = await db
        .transaction(async (trx) => {
          broken.defer(trx, { name: 'b' });
          await trx('items').select('id');
          throw new Error('the work went on');
        })
        .catch((err: Error) => err);
      expect((outcome as Error).message).to.match(/null|NOT NULL/i);
    });

    it('are refused outside a transaction', () => {
      expect(() => insertItem().defer(db.direct as unknown as Transaction, { name: 'a' })).to.throw(/inside a transaction/);
    });
  });

  it('refuses a missing value, and a transaction handle used after its transaction', async () => {
    const byName = db.prepare<{ name: string }>((k, p) => k('items').where({ name: p('name') }));
    await byName.all(db.direct, {} as { name: string }).then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.match(/no value for name/),
    );
    let kept: Transaction | null = null;
    await db.transaction(async (trx) => {
      kept = trx;
    });
    await byName.all(kept!, { name: 'a' }).then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.match(/outside its transaction/),
    );
  });
});

describe('SQLite backend', () => {
  let db: SqliteDatabase;
  let dir: string;
  beforeEach(async () => {
    dir = tempDataDir();
    db = new SqliteDatabase('payment', dir);
    await db.knex.schema.createTable('entries', (t) => {
      t.integer('id').primary();
    });
  });
  afterEach(async () => db.close());

  const ids = async () => (await db.knex('entries').orderBy('id').select('id')).map((r: { id: number }) => r.id);
  const insert = (id: number, fail = false) =>
    db.transaction(async (trx) => {
      await trx('entries').insert({ id });
      if (fail) throw new Error(`work ${id} failed`);
      return id;
    });

  it('opens its file with the settings the platform relies on', async () => {
    const pragma = async (name: string) => Object.values((await db.knex.raw(`pragma ${name}`))[0])[0];
    expect(await pragma('journal_mode')).to.equal('wal');
    expect(await pragma('synchronous')).to.equal(1); // NORMAL
    expect(await pragma('foreign_keys')).to.equal(1);
    expect(await pragma('busy_timeout')).to.equal(5000);
    expect(await pragma('temp_store')).to.equal(2); // MEMORY: savepoint sub-journals stay off the disk
  });

  // A bound LIMIT makes SQLite re-prepare the statement on every run (see knex-sqlite-adapter.ts).
  it('writes LIMIT and OFFSET as integer literals, so a cached statement is not prepared again on each run', () => {
    expect(db.knex('entries').where({ id: 3 }).first().toSQL().toNative()).to.deep.equal({
      sql: 'select * from `entries` where `id` = ? limit 1',
      bindings: [3],
    });
    expect(db.knex('entries').orderBy('id').limit(2).offset(4).toSQL().toNative()).to.deep.equal({
      sql: 'select * from `entries` order by `id` asc limit 2 offset 4',
      bindings: [],
    });
    // knex makes the values integers first: what reaches the SQL is never the caller's text.
    expect(
      db
        .knex('entries')
        .limit('3; drop table entries' as unknown as number)
        .toSQL().sql,
    ).to.equal('select * from `entries` limit 3');
  });

  it('says so when all() and run() of a prepared statement are swapped', async () => {
    const add = db.prepare<{ id: number }>((k, p) => k('entries').insert({ id: p('id') }));
    await db.transaction(async (trx) => {
      await add.all(trx, { id: 1 }).then(
        () => expect.fail('should have thrown'),
        (err: Error) => expect(err.message).to.match(/returns no rows \(use run\(\)\)/),
      );
    });
    await db
      .prepare((k) => k('entries').select('id'))
      .run(db.direct, {})
      .then(
        () => expect.fail('should have thrown'),
        (err: Error) => expect(err.message).to.match(/returns rows/),
      );
  });

  describe('group commit', () => {
    it('lets concurrent transactions share a COMMIT, undoing only the one that failed', async () => {
      let commits = 0;
      db.onCommit(() => {
        commits += 1;
      });
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => insert(i + 1, i + 1 === 7)));
      expect(outcomes.map((o) => o.status)).to.deep.equal(Array.from({ length: 20 }, (_, i) => (i + 1 === 7 ? 'rejected' : 'fulfilled')));
      expect((outcomes[6] as PromiseRejectedResult).reason.message).to.equal('work 7 failed');
      expect(await ids()).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1).filter((id) => id !== 7));
      expect(commits).to.be.greaterThan(0).and.lessThan(20);
    });

    it('reports success only once the COMMIT is on disk, as another connection sees it', async () => {
      const observer = new Database(path.join(dir, 'payment.db'), { readonly: true });
      try {
        const seenAtResolve = await Promise.all(
          Array.from({ length: 10 }, (_, i) => insert(i + 1).then((id) => Boolean(observer.prepare('select 1 from entries where id = ?').get(id)))),
        );
        expect(seenAtResolve).to.deep.equal(Array(10).fill(true));
      } finally {
        observer.close();
      }
    });

    it('fails every transaction of a group that SQLite rolled back as a whole, and carries on with the next', async () => {
      const first = insert(1);
      const breaker = db.transaction(async (trx) => {
        await trx('entries').insert({ id: 2 });
        await trx.raw('ROLLBACK'); // what SQLite does by itself on an I/O error or a full disk
        throw new Error('disk I/O error');
      });
      const outcomes = await Promise.allSettled([first, breaker]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
      expect((outcomes[0] as PromiseRejectedResult).reason.message).to.equal('disk I/O error');
      expect(await insert(3)).to.equal(3);
      expect(await ids()).to.deep.equal([3]);
    });
  });
});

describe('PostgreSQL backend', () => {
  before(function () {
    // The SQLite pass has no server to talk to; the PostgreSQL pass runs these.
    if (!onPostgres) this.skip();
  });

  it('runs transactions REPEATABLE READ: one snapshot for the whole work', async () => {
    const db = await openBackendDatabase();
    try {
      const level = await db.transaction(
        async (trx) => ((await trx.raw('show transaction_isolation')) as { rows: Array<{ transaction_isolation: string }> }).rows[0],
      );
      expect(level.transaction_isolation).to.equal('repeatable read');
    } finally {
      await db.close();
    }
  });

  it('writes BEGIN and deferred writes at once, without waiting for their answers (the pool pipelines)', async () => {
    const db = await openBackendDatabase();
    try {
      await db.knex.schema.createTable('notes', (t) => {
        t.increments('id');
        t.string('text');
      });
      const insert = db.prepare<{ text: string }>((k, p) => k('notes').insert({ text: p('text') }));
      // A statement waited for alone is answered before the next is written; pipelined ones are
      // written at once. pg's client keeps what it has written and not yet had answered (its
      // active query and the ones sent behind it): read that on the transaction's connection.
      const unanswered = (trx: Transaction) => {
        const client = stateOf(trx).connection as unknown as { _activeQuery: unknown; _sentQueryQueue: unknown[] };
        return (client._activeQuery ? 1 : 0) + client._sentQueryQueue.length;
      };
      const outcome = await db.transaction(async (trx) => {
        const inFlightAtStart = unanswered(trx);
        insert.defer(trx, { text: 'a' });
        insert.defer(trx, { text: 'b' });
        const inFlight = unanswered(trx);
        const rows = await trx('notes').count({ n: '*' });
        return { inFlightAtStart, inFlight, n: Number(rows[0].n) };
      });
      // BEGIN was still unanswered when the work began, and both inserts went out behind it.
      expect(outcome.inFlightAtStart).to.equal(1);
      expect(outcome.inFlight).to.equal(outcome.inFlightAtStart + 2);
      expect(outcome.n).to.equal(2);
      expect(Number((await db.knex('notes').count({ n: '*' }))[0].n)).to.equal(2);
    } finally {
      await db.close();
    }
  });

  it('prepares a statement on each connection once, by name, and then only binds and runs it', async () => {
    const db = await openBackendDatabase();
    try {
      await db.knex.schema.createTable('notes', (t) => {
        t.integer('id').primary();
        t.string('text');
      });
      await db.knex('notes').insert([
        { id: 1, text: 'one' },
        { id: 2, text: 'two' },
      ]);
      const byId = db.prepare<{ id: number }, { text: string }>((k, p) =>
        k('notes')
          .where({ id: p('id') })
          .first('text'),
      );
      expect(byId.sql).to.match(/\$1/);
      const seen = await db.transaction(async (trx) => {
        const texts = [(await byId.first(trx, { id: 1 }))?.text, (await byId.first(trx, { id: 2 }))?.text];
        const prepared = (await trx.raw('select name, statement from pg_prepared_statements')) as { rows: Array<{ name: string; statement: string }> };
        return { texts, prepared: prepared.rows.filter((r) => r.statement === byId.sql) };
      });
      expect(seen.texts).to.deep.equal(['one', 'two']);
      expect(seen.prepared).to.have.length(1);
      expect(seen.prepared[0].name).to.match(/^prepared_\d+$/);
    } finally {
      await db.close();
    }
  });

  it('runs the work again after a unique violation it did not handle, at most three times, then lets it surface', async () => {
    const db = await openBackendDatabase();
    try {
      await db.knex.schema.createTable('keys', (t) => t.string('key').primary());
      await db.knex('keys').insert({ key: 'taken' });
      const reasons: string[] = [];
      db.onRetry((reason) => reasons.push(reason));
      let attempts = 0;
      await db
        .transaction(async (trx) => {
          attempts += 1;
          await trx('keys').insert({ key: 'taken' });
        })
        .then(
          () => expect.fail('should have thrown'),
          (err: { code?: string }) => expect(err.code).to.equal('23505'),
        );
      expect(attempts).to.equal(3);
      expect(reasons).to.deep.equal(['unique_violation', 'unique_violation']);
    } finally {
      await db.close();
    }
  });

  it('runs the later of two transactions updating one row again, on a snapshot that shows the earlier one’s write', async () => {
    const db = await openBackendDatabase();
    try {
      await db.knex.schema.createTable('balance', (t) => {
        t.integer('id').primary();
        t.integer('amount').notNullable();
      });
      await db.knex('balance').insert({ id: 1, amount: 100 });
      const reasons: string[] = [];
      db.onRetry((reason) => reasons.push(reason));
      let releaseFirst!: () => void;
      const firstRead = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      const spend = (amount: number, pause: Promise<void> | null) =>
        db.transaction(async (trx) => {
          const { amount: balance } = await trx('balance').where({ id: 1 }).first();
          if (pause) await pause;
          if (balance < amount) return 'refused';
          await trx('balance')
            .where({ id: 1 })
            .update({ amount: balance - amount });
          return 'spent';
        });
      // The first reads 100 and waits; the second spends 70 meanwhile; the first, run again, sees 30 and refuses.
      const first = spend(70, firstRead);
      await new Promise((r) => setTimeout(r, 50));
      expect(await spend(70, null)).to.equal('spent');
      releaseFirst();
      expect(await first).to.equal('refused');
      expect((await db.knex('balance').where({ id: 1 }).first()).amount).to.equal(30);
      expect(reasons).to.deep.equal(['serialization_failure']);
    } finally {
      await db.close();
    }
  });

  it('keeps each module to its own database: its connection cannot read another module’s tables, nor its role connect there', async () => {
    const url = freshDatabaseUrl();
    await provisionSystem(url, ['payment', 'auth']);
    const payment = openModuleDatabase('payment', { kind: 'postgres', url, poolMax: 2 });
    const auth = openModuleDatabase('auth', { kind: 'postgres', url, poolMax: 2 });
    try {
      await auth.knex.schema.createTable('users', (t) => t.increments('id'));
      await auth.knex('users').insert({});
      await payment
        .knex('users')
        .select('*')
        .then(
          () => expect.fail('payment read auth’s users'),
          (err: Error) => expect(err.message).to.match(/relation "users" does not exist/),
        );
      // The payment module's credentials, aimed at auth's database.
      const intruder = new URL(moduleAddress(url, 'payment').connectionString);
      intruder.pathname = `/${moduleAddress(url, 'auth').database}`;
      const client = new pg.Client({ connectionString: intruder.toString() });
      await client.connect().then(
        () => expect.fail('payment’s role connected to auth’s database'),
        (err: Error) => expect(err.message).to.match(/permission denied for database/),
      );
      await client.end().catch(() => undefined);
    } finally {
      await payment.close();
      await auth.close();
    }
  });

  it('gives up with DatabaseBusyError, never a raw serialization failure, when conflicts never stop', async () => {
    const url = freshDatabaseUrl();
    await provisionSystem(url, ['payment']);
    const db = openModuleDatabase('payment', { kind: 'postgres', url, poolMax: 2, retryBudgetMs: 300 });
    try {
      let attempts = 0;
      await db
        .transaction(async () => {
          attempts += 1;
          throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        })
        .then(
          () => expect.fail('should have thrown'),
          (err: Error) => expect(err).to.be.instanceOf(DatabaseBusyError),
        );
      expect(attempts).to.be.greaterThan(1);
    } finally {
      await db.close();
    }
  });
});
