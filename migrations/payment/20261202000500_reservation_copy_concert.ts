import type { Knex } from 'knex';

/** The concert of a copied reservation (from `reservation.held`), so a payment checks the queue pass is for it (ADR 0012). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reservation_copies', (t) => {
    // Null for copies made before the event carried it.
    t.integer('concert_id').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reservation_copies', (t) => {
    t.dropColumn('concert_id');
  });
}
