import type { Knex } from 'knex';

/** The language a user's notifications are written in, chosen at signup (`ko` for accounts made before). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('locale', 5).notNullable().defaultTo('ko');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('locale');
  });
}
