import { expect } from 'chai';
import { ModuleDatabase, type Transaction } from '../../src/platform/db/module-database';
import { tempDataDir } from '../support/test-app';

describe('module database transactions', () => {
  let db: ModuleDatabase;
  beforeEach(async () => {
    db = ModuleDatabase.open('payment', tempDataDir());
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
          await trx('counter').where({ id: 1 }).update({ n: n + 1 });
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
    await kept!('counter').where({ id: 1 }).update({ n: 7 }).then(
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
});
