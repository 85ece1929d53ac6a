import type { Knex } from 'knex';

/**
 * The reservation module's tables: its copy of the catalogue, the event store (source of truth),
 * the read model derived from it, and the seat claims that guarantee one live hold per seat.
 */
export async function up(knex: Knex): Promise<void> {
  // Copy of the catalogue, kept from `concert.schedule.published`.
  await knex.schema.createTable('catalogue_schedules', (t) => {
    t.integer('schedule_id').primary();
    t.integer('concert_id').notNullable();
    t.string('title', 300).notNullable();
    t.string('artist', 300).notNullable();
    t.string('venue', 300).notNullable();
    t.string('starts_at', 40).notNullable();
    t.bigInteger('updated_at_ms').notNullable();
  });
  await knex.schema.createTable('catalogue_seats', (t) => {
    t.integer('schedule_id').notNullable();
    t.integer('seat_id').notNullable();
    t.string('label', 100).notNullable();
    t.integer('price').notNullable();
    t.primary(['schedule_id', 'seat_id']);
  });

  // The event store: append-only, one version per reservation (optimistic concurrency).
  await knex.schema.createTable('reservation_events', (t) => {
    t.increments('seq').primary();
    t.integer('reservation_id').notNullable();
    t.integer('version').notNullable();
    t.string('type', 50).notNullable();
    t.text('data').notNullable();
    t.bigInteger('occurred_at_ms').notNullable();
    t.unique(['reservation_id', 'version'], { indexName: 'reservation_events_stream_version' });
  });

  // The read model, updated in the same transaction as every append.
  await knex.schema.createTable('reservations', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable();
    t.integer('concert_id').notNullable();
    t.integer('schedule_id').notNullable();
    t.integer('seat_id').notNullable();
    t.string('seat_label', 100).notNullable();
    t.integer('price').notNullable();
    // HELD, CONFIRMED, EXPIRED, CANCELLED
    t.string('status', 10).notNullable();
    t.bigInteger('expires_at_ms').notNullable();
    t.integer('payment_id').nullable();
    t.bigInteger('confirmed_at_ms').nullable();
    t.bigInteger('cancelled_at_ms').nullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    // Version of the last event applied: the read model is a consistent snapshot of the stream.
    t.integer('version').notNullable();
    t.index(['user_id', 'id'], 'reservations_by_user');
    t.index(['user_id', 'status', 'expires_at_ms'], 'reservations_live_by_user');
    t.index(['status', 'expires_at_ms'], 'reservations_due');
  });

  // At most one live claim per seat: the primary key is the final guard against double holds.
  await knex.schema.createTable('seat_claims', (t) => {
    t.integer('schedule_id').notNullable();
    t.integer('seat_id').notNullable();
    t.integer('reservation_id').notNullable().unique();
    // HELD (until expires_at_ms) or CONFIRMED
    t.string('status', 10).notNullable();
    t.bigInteger('expires_at_ms').nullable();
    t.primary(['schedule_id', 'seat_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seat_claims');
  await knex.schema.dropTable('reservations');
  await knex.schema.dropTable('reservation_events');
  await knex.schema.dropTable('catalogue_seats');
  await knex.schema.dropTable('catalogue_schedules');
}
