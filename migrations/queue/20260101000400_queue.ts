import type { Knex } from 'knex';

/** The waiting room: every queue token ever issued (until purged) and the operator's flow settings. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('queue_tokens', (t) => {
    // Arrival order: FIFO admission and positions follow this sequence, never timestamps.
    t.increments('seq').primary();
    t.string('token', 64).notNullable().unique();
    t.integer('user_id').notNullable();
    // WAITING | ACTIVE | EXPIRED | COMPLETED
    t.string('status', 10).notNullable();
    // The user's id while the token is live (WAITING or ACTIVE), NULL once it ended: the unique
    // index makes "one live token per user" a database rule, whatever the concurrency.
    t.integer('live_user_id').nullable().unique();
    // Why an ended token ended: LEFT, IDLE, PASS_EXPIRED, RESERVATION_CONFIRMED.
    t.string('end_reason', 30).nullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('activated_at_ms').nullable();
    t.bigInteger('expires_at_ms').nullable();
    t.bigInteger('ended_at_ms').nullable();
    t.index(['status', 'seq'], 'queue_tokens_status_seq');
    t.index(['activated_at_ms'], 'queue_tokens_activated');
    t.index(['ended_at_ms'], 'queue_tokens_ended');
  });
  await knex.schema.createTable('queue_settings', (t) => {
    t.integer('id').primary();
    // NULL: use the configured default (QUEUE_MAX_ACTIVE / QUEUE_ADMIT_PER_SECOND).
    t.integer('max_active').nullable();
    t.integer('admit_per_second').nullable();
    t.bigInteger('updated_at_ms').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('queue_settings');
  await knex.schema.dropTable('queue_tokens');
}
