import type { Knex } from 'knex';

/** The concerts the concert module has published, as the waiting room knows them: a room is only made for one of these. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('queue_concerts', (t) => {
    t.integer('concert_id').primary();
    t.string('title', 200).notNullable();
    t.bigInteger('noted_at_ms').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('queue_concerts');
}
