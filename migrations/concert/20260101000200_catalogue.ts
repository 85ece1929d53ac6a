import type { Knex } from 'knex';

/**
 * The concert catalogue (concerts, schedules, seats) and the seat-map projection kept from
 * reservation events (`seat_map_claims`, plus the status columns and per-schedule counters).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('concerts', (t) => {
    t.increments('id').primary();
    t.string('title', 200).notNullable();
    t.string('artist', 200).notNullable();
    t.string('venue', 200).notNullable();
    t.bigInteger('created_at_ms').notNullable();
  });
  await knex.schema.createTable('schedules', (t) => {
    t.increments('id').primary();
    t.integer('concert_id').notNullable().references('id').inTable('concerts');
    t.bigInteger('starts_at_ms').notNullable();
    t.integer('total_seats').notNullable();
    // Seat-map counters, kept in the same transaction as each seat's status change.
    t.integer('available_seats').notNullable();
    t.integer('held_seats').notNullable().defaultTo(0);
    t.integer('sold_seats').notNullable().defaultTo(0);
    t.bigInteger('created_at_ms').notNullable();
    t.index(['concert_id', 'starts_at_ms'], 'schedules_by_concert');
  });
  await knex.schema.createTable('seats', (t) => {
    t.increments('id').primary();
    t.integer('schedule_id').notNullable().references('id').inTable('schedules');
    t.string('label', 30).notNullable();
    t.integer('price').notNullable();
    // AVAILABLE | HELD | SOLD: derived from seat_map_claims, stored for cheap reads.
    t.string('status', 10).notNullable().defaultTo('AVAILABLE');
    // The reservation whose claim gives the status (null when AVAILABLE).
    t.integer('claimed_by').nullable();
    t.unique(['schedule_id', 'label'], { indexName: 'seats_label_per_schedule' });
    // Seat map reads: the schedule's seats in id order without a sort.
    t.index(['schedule_id'], 'seats_by_schedule');
  });
  await knex.schema.createTable('seat_map_claims', (t) => {
    // One row per reservation seen in events: its state only moves forward (see seat-map.projection.ts).
    t.integer('reservation_id').primary();
    t.integer('seat_id').notNullable();
    t.integer('schedule_id').notNullable();
    // HELD | SOLD | RELEASED
    t.string('state', 10).notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    t.index(['seat_id', 'state'], 'seat_map_claims_by_seat');
    t.index(['state', 'updated_at_ms'], 'seat_map_claims_by_state_age');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seat_map_claims');
  await knex.schema.dropTable('seats');
  await knex.schema.dropTable('schedules');
  await knex.schema.dropTable('concerts');
}
