#!/usr/bin/env node
// `npm test`'s second pass: the whole suite again on PostgreSQL, when TEST_DATABASE_URL names a
// server (a role with CREATEDB and CREATEROLE; each test creates and drops its own databases).
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const pg = require('pg');

const url = process.env.TEST_DATABASE_URL;
if (!url) {
  console.log('\nPostgreSQL pass NOT run: set TEST_DATABASE_URL=postgres://user@host:5432/postgres to run the whole suite again on PostgreSQL.');
  process.exit(0);
}

async function main() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    console.error(`\nPostgreSQL pass FAILED: cannot reach TEST_DATABASE_URL (${new URL(url).host}): ${err.message}`);
    process.exit(1);
  } finally {
    await client.end().catch(() => undefined);
  }
  console.log(`\nPostgreSQL pass: the whole suite again on ${new URL(url).host}`);
  const mocha = path.join(__dirname, '../../node_modules/mocha/bin/mocha.js');
  const result = spawnSync(process.execPath, [mocha, 'test/**/*.test.ts'], {
    stdio: 'inherit',
    env: { ...process.env, TEST_BACKEND: 'postgres' },
    cwd: path.join(__dirname, '../..'),
  });
  process.exit(result.status ?? 1);
}

main();
