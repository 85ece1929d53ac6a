import type { Knex } from 'knex';

/**
 * One row per key that transactions serialise on (`db.lock(trx, scope, key)`): on PostgreSQL
 * each such transaction updates the row, so two that overlap conflict and the later one runs
 * again on a fresh snapshot (ADR 0009). SQLite runs one transaction at a time and never writes it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('transaction_locks', (t) => {
    t.string('scope', 64).notNullable();
    t.string('lock_key', 200).notNullable();
    t.bigInteger('taken').notNullable();
    t.primary(['scope', 'lock_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('transaction_locks');
}
