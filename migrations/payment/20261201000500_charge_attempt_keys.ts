import type { Knex } from 'knex';

/** The Idempotency-Key a charge attempt was made under, so whoever settles it also stores that key's answer. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('charge_attempts', (t) => {
    t.string('idempotency_key', 255).nullable();
    // How many times the attempt was sent to the gateway under its one id (a repeat after "never reached" sends it again).
    t.integer('sends').notNullable().defaultTo(1);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('charge_attempts', (t) => {
    t.dropColumn('sends');
    t.dropColumn('idempotency_key');
  });
}
