import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ModuleDatabase, type Transaction } from '../../src/platform/db/module-database';
import { tempDataDir } from '../support/test-app';

describe('module database transactions', () => {
  let db: ModuleDatabase;
  let dir: string;
  beforeEach(async () => {
    dir = tempDataDir();
    db = ModuleDatabase.open('payment', dir);
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

  it('runs concurrent read-modify-write transactions one after another, losing no update', async () => {
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

  it('refuses a transaction handle used after its transaction ended', async () => {
    let kept: Transaction | null = null;
    await db.transaction(async (trx) => {
      kept = trx;
    });
    await kept!('counter')
      .where({ id: 1 })
      .update({ n: 7 })
      .then(
        () => expect.fail('should have thrown'),
        (err: Error) => expect(err.message).to.match(/outside its transaction/),
      );
    expect(await read()).to.equal(0);
  });

  it('runs afterTransaction callbacks once the transaction has ended, committed or not', async () => {
    const seen: string[] = [];
    await db.transaction(async (trx) => {
      db.afterTransaction(() => seen.push('after commit'));
      await trx('counter').where({ id: 1 }).update({ n: 1 });
      seen.push('in transaction');
    });
    await db
      .transaction(async () => {
        db.afterTransaction(() => seen.push('after rollback'));
        throw new Error('no');
      })
      .catch(() => undefined);
    expect(seen).to.deep.equal(['in transaction', 'after commit', 'after rollback']);
    expect(() => db.afterTransaction(() => undefined)).to.throw(/outside a transaction/);
  });

  describe('group commit', () => {
    beforeEach(async () => {
      await db.knex.schema.createTable('entries', (t) => {
        t.integer('id').primary();
      });
    });

    const ids = async () => (await db.knex('entries').orderBy('id').select('id')).map((r: { id: number }) => r.id);
    const insert = (id: number, fail = false) =>
      db.transaction(async (trx) => {
        await trx('entries').insert({ id });
        if (fail) throw new Error(`work ${id} failed`);
        return id;
      });

    it('lets concurrent transactions share a COMMIT, undoing only the one that failed', async () => {
      let commits = 0;
      db.onCommit(() => (commits += 1));
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

describe('module database statements', () => {
  let db: ModuleDatabase;
  beforeEach(async () => {
    db = ModuleDatabase.open('payment', ':memory:');
    await db.knex.schema.createTable('items', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
    });
    await db.knex('items').insert(Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}` })));
  });
  afterEach(async () => db.close());

  it('opens its file with the settings the platform relies on', async () => {
    const onDisk = ModuleDatabase.open('payment', tempDataDir());
    try {
      const pragma = async (name: string) => Object.values((await onDisk.knex.raw(`pragma ${name}`))[0])[0];
      expect(await pragma('journal_mode')).to.equal('wal');
      expect(await pragma('synchronous')).to.equal(1); // NORMAL
      expect(await pragma('foreign_keys')).to.equal(1);
      expect(await pragma('busy_timeout')).to.equal(5000);
      expect(await pragma('temp_store')).to.equal(2); // MEMORY: savepoint sub-journals stay off the disk
    } finally {
      await onDisk.close();
    }
  });

  // A bound LIMIT makes SQLite re-prepare the statement on every run (see better-sqlite3-client.ts).
  it('writes LIMIT and OFFSET as integer literals, so a cached statement is not prepared again on each run', () => {
    expect(db.knex('items').where({ id: 3 }).first().toSQL().toNative()).to.deep.equal({ sql: 'select * from `items` where `id` = ? limit 1', bindings: [3] });
    expect(db.knex('items').orderBy('id').limit(2).offset(4).toSQL().toNative()).to.deep.equal({
      sql: 'select * from `items` order by `id` asc limit 2 offset 4',
      bindings: [],
    });
    // knex makes the values integers first: what reaches the SQL is never the caller's text.
    expect(
      db
        .knex('items')
        .limit('3; drop table items' as unknown as number)
        .toSQL().sql,
    ).to.equal('select * from `items` limit 3');
  });

  it('answers first(), pages and offset-only queries as before', async () => {
    expect(await db.knex('items').where({ id: 3 }).first()).to.deep.equal({ id: 3, name: 'item-3' });
    expect(await db.knex('items').where({ id: 99 }).first()).to.equal(undefined);
    expect((await db.knex('items').orderBy('id').limit(2).offset(4)).map((r: { id: number }) => r.id)).to.deep.equal([5, 6]);
    expect((await db.knex('items').orderBy('id').offset(8)).map((r: { id: number }) => r.id)).to.deep.equal([9, 10]);
    await db.transaction(async (trx) => {
      expect((await trx('items').orderBy('id', 'desc').first('name')).name).to.equal('item-10');
    });
  });
});

describe('prepared statements (compiled once by knex, run with new values)', () => {
  let db: ModuleDatabase;
  beforeEach(async () => {
    db = ModuleDatabase.open('payment', ':memory:');
    await db.knex.schema.createTable('items', (t) => {
      t.increments('id');
      t.string('name').notNullable();
      t.string('status').notNullable();
    });
  });
  afterEach(async () => db.close());

  it('keeps constants in place and takes the parameters in any order', async () => {
    const byNameAndStatus = db.prepare<[string], { id: number }>((k, p) =>
      k('items')
        .where({ name: p(0), status: 'LIVE' })
        .first('id'),
    );
    expect(byNameAndStatus.sql).to.equal('select `id` from `items` where `name` = ? and `status` = ? limit 1');
    const insert = db.prepare<[string, string]>((k, p) =>
      k('items')
        .insert({ status: p(1), name: p(0) })
        .returning('id'),
    );
    await db.transaction(async (trx) => {
      expect(await insert.all(trx, 'a', 'LIVE')).to.deep.equal([{ id: 1 }]);
      expect(await insert.all(trx, 'b', 'GONE')).to.deep.equal([{ id: 2 }]);
    });
    expect(await byNameAndStatus.first(db.knex, 'a')).to.deep.equal({ id: 1 });
    expect(await byNameAndStatus.first(db.knex, 'b')).to.equal(undefined);
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
    const retire = db.prepare<[string]>((k, p) =>
      k('items')
        .where({ status: p(0) })
        .update({ status: 'GONE' }),
    );
    await db
      .transaction(async (trx) => {
        expect(await retire.run(trx, 'LIVE')).to.equal(2);
        throw new Error('undo');
      })
      .catch(() => undefined);
    expect((await db.knex('items').where({ status: 'LIVE' })).length).to.equal(2);
    expect(await db.transaction((trx) => retire.run(trx, 'LIVE'))).to.equal(2);
  });

  it('compiles a keyed family once per key, and says so when all() and run() are swapped', async () => {
    const byStatus = db.prepareEach<string, [string]>((k, p, status) => k('items').insert({ name: p(0), status }));
    expect(byStatus.for('LIVE')).to.equal(byStatus.for('LIVE'));
    await db.transaction(async (trx) => {
      expect(await byStatus.for('LIVE').run(trx, 'a')).to.equal(1);
      expect(await byStatus.for('GONE').run(trx, 'b')).to.equal(1);
      await byStatus
        .for('LIVE')
        .all(trx, 'c')
        .then(
          () => expect.fail('should have thrown'),
          (err: Error) => expect(err.message).to.match(/returns no rows \(use run\(\)\)/),
        );
    });
    expect(await db.knex('items').orderBy('id').select('name', 'status')).to.deep.equal([
      { name: 'a', status: 'LIVE' },
      { name: 'b', status: 'GONE' },
    ]);
    const names = db.prepare<[]>((k) => k('items').select('name'));
    await names.run(db.knex).then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.match(/returns rows/),
    );
  });

  it('refuses a missing value, and a transaction handle used after its transaction', async () => {
    const byName = db.prepare<[string]>((k, p) => k('items').where({ name: p(0) }));
    await byName.all(db.knex, undefined as unknown as string).then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.match(/no value for parameter 0/),
    );
    let kept: Transaction | null = null;
    await db.transaction(async (trx) => {
      kept = trx;
    });
    await byName.all(kept!, 'a').then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.match(/outside its transaction/),
    );
  });
});
