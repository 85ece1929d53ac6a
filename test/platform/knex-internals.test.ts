import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteDatabase } from '../../src/platform/db/sqlite/sqlite-database';

/**
 * The SQLite adapter (`src/platform/db/sqlite/knex-sqlite-adapter.ts`: the client and the
 * single-connection pool) leans on knex internals that are not part of its public API. package.json pins knex to the minor
 * release they were written against; this suite fails loudly, naming what moved, the day an
 * upgrade changes them, instead of letting queries misbehave quietly.
 */
const knexRoot = path.dirname(require.resolve('knex/package.json'));
const PINNED_MINOR = '3.3';

function prototypeHas(modulePath: string, methods: string[]): string[] {
  const ctor = require(modulePath) as { prototype: Record<string, unknown> };
  return methods.filter((m) => typeof findOnChain(ctor.prototype, m) !== 'function');
}

function findOnChain(proto: Record<string, unknown> | null, name: string): unknown {
  for (let p = proto; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return d.value;
  }
  return undefined;
}

describe('knex internals the SQLite client relies on', () => {
  it(`is knex ${PINNED_MINOR}.x, the release the client was written against`, () => {
    const version = JSON.parse(fs.readFileSync(path.join(knexRoot, 'package.json'), 'utf8')).version as string;
    expect(
      version.startsWith(`${PINNED_MINOR}.`),
      `knex ${version} is installed; re-check src/platform/db/sqlite/knex-sqlite-adapter.ts against it, then update this pin`,
    ).to.equal(true);
  });

  it('still has the dialect and query-compiler methods the client overrides or calls', () => {
    expect(
      prototypeHas('knex/lib/dialects/better-sqlite3', [
        '_query',
        '_formatBindings',
        '_optSafeIntegers',
        'queryCompiler',
        'acquireConnection',
        'releaseConnection',
      ]),
    ).to.deep.equal([]);
    expect(prototypeHas('knex/lib/dialects/sqlite3/query/sqlite-querycompiler', ['_getValueOrParameterFromAttribute', 'limit', 'offset'])).to.deep.equal([]);
  });

  it('still takes an external pool through the connectionPool option', () => {
    const client = fs.readFileSync(path.join(knexRoot, 'lib/client.js'), 'utf8');
    expect(client, 'knex/lib/client.js no longer reads config.connectionPool').to.match(/initializeExternalPool\(config\.connectionPool\)/);
    // The pool methods knex calls on it, which SingleConnectionPool provides.
    for (const method of ['acquire', 'release', 'destroy']) expect(client, `knex no longer calls pool.${method}`).to.include(`.${method}(`);
  });

  it('behaves as the client expects: literal LIMIT/OFFSET, bindings formatted, rows and changes returned', async () => {
    const db = new SqliteDatabase('knex-internals', ':memory:');
    try {
      await db.knex.schema.createTable('t', (t) => {
        t.increments('id');
        t.integer('n');
        t.boolean('flag');
      });
      expect(db.knex('t').limit(1).offset(2).toSQL().toNative().sql).to.equal('select * from `t` limit 1 offset 2');
      const [id] = await db.knex('t').insert({ n: 7, flag: true });
      expect(id).to.equal(1);
      const changed = await db.knex('t').where({ id }).update({ n: 8 });
      expect(changed).to.equal(1);
      expect(await db.knex('t').first()).to.deep.equal({ id: 1, n: 8, flag: 1 });
      expect(await db.transaction((trx) => trx('t').count({ c: '*' }).first())).to.deep.equal({ c: 1 });
      // A transaction names its connection on each query (builder.connection), which knex must honour without asking the pool.
      expect(await db.transaction(async (trx) => (await trx('t').where({ id }).first('n')).n)).to.equal(8);
    } finally {
      await db.close();
    }
  });
});
