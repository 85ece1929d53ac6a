import type { Knex } from 'knex';

/** The bus's own tables, created in every module's database. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    // The sequence, not a timestamp, gives the publishing order.
    t.increments('seq').primary();
    t.string('event_id', 36).notNullable().unique();
    t.string('type', 100).notNullable();
    t.integer('version').notNullable();
    t.string('aggregate_id', 100).notNullable();
    t.string('correlation_id', 100).notNullable();
    t.string('causation_id', 100).nullable();
    t.string('occurred_at', 30).notNullable();
    t.bigInteger('created_at_ms').notNullable();
    t.text('payload').notNullable();
    t.bigInteger('dispatched_at_ms').nullable();
    t.index(['dispatched_at_ms', 'seq'], 'outbox_undispatched');
  });
  await knex.schema.createTable('inbox', (t) => {
    t.increments('id').primary();
    t.string('subscriber', 150).notNullable();
    t.string('event_id', 36).notNullable();
    t.string('type', 100).notNullable();
    t.string('aggregate_id', 100).notNullable();
    // PENDING (queued behind an earlier event of the aggregate), RETRYING, DONE, DEAD
    t.string('status', 10).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at_ms').nullable();
    t.text('last_error').nullable();
    // Kept only while the event still has to be handled.
    t.text('envelope').nullable();
    t.bigInteger('received_at_ms').notNullable();
    t.bigInteger('handled_at_ms').nullable();
    t.unique(['subscriber', 'event_id']);
    t.index(['status', 'next_attempt_at_ms'], 'inbox_due');
    t.index(['subscriber', 'aggregate_id', 'status'], 'inbox_aggregate_state');
  });
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.integer('user_id').notNullable();
    t.string('idempotency_key', 255).notNullable();
    t.string('route', 200).notNullable();
    t.string('fingerprint', 64).notNullable();
    // IN_FLIGHT until the first response is stored, then DONE
    t.string('state', 10).notNullable();
    t.integer('response_status').nullable();
    t.text('response_body').nullable();
    t.bigInteger('created_at_ms').notNullable();
    t.primary(['user_id', 'idempotency_key']);
    t.index(['created_at_ms'], 'idempotency_created');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('inbox');
  await knex.schema.dropTable('outbox');
}
