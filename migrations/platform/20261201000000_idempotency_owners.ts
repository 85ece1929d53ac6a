import type { Knex } from 'knex';

/**
 * Who is working on a key in flight, so a process that starts can tell keys left behind by one
 * that died (retryable at once) from keys a live process is still working on (409).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    // The incarnation working on it; NULL while nobody is (a repeat may continue it at once).
    t.string('owner', 36).nullable();
    // What the first attempt started (a gateway attempt, a saga), for a repeat to continue instead of starting anew.
    t.string('resume_ref', 200).nullable();
  });
  await knex.schema.createTable('process_incarnations', (t) => {
    t.string('id', 36).primary();
    // The role the process plays (the modules it runs): a newer incarnation of the same slot replaces older ones.
    t.string('slot', 200).notNullable();
    t.bigInteger('started_at_ms').notNullable();
    t.bigInteger('heartbeat_at_ms').notNullable();
    t.bigInteger('stopped_at_ms').nullable();
    t.index(['slot'], 'process_incarnations_slot');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('process_incarnations');
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('resume_ref');
    t.dropColumn('owner');
  });
}
