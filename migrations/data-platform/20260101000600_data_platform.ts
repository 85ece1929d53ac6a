import type { Knex } from 'knex';

/** The data platform's own tables: its catalogue copy and the confirmed-reservation feed. */
export async function up(knex: Knex): Promise<void> {
  // A copy of what the feed needs from the catalogue, fed by concert.schedule.published.
  await knex.schema.createTable('dp_schedules', (t) => {
    t.integer('schedule_id').primary();
    t.integer('concert_id').notNullable();
    t.string('title', 200).notNullable();
    t.string('artist', 200).notNullable();
    t.string('venue', 200).notNullable();
    t.string('starts_at', 40).notNullable();
    t.bigInteger('updated_at_ms').notNullable();
  });

  // One row per confirmed reservation, ever: reservation_id is unique.
  await knex.schema.createTable('dp_reservations', (t) => {
    t.increments('id').primary();
    t.integer('reservation_id').notNullable().unique();
    t.integer('user_id').notNullable();
    t.integer('concert_id').notNullable();
    t.integer('schedule_id').notNullable();
    t.integer('seat_id').notNullable();
    t.string('seat_label', 100).notNullable();
    t.integer('amount').notNullable();
    t.integer('payment_id').notNullable();
    t.bigInteger('confirmed_at_ms').notNullable();
    t.bigInteger('received_at_ms').notNullable();
    // CONFIRMED, CANCELLED
    t.string('status', 10).notNullable();
    t.bigInteger('cancelled_at_ms').nullable();
    t.string('source_event_id', 36).notNullable();
    // Delivery to DATA_PLATFORM_URL: PENDING, DELIVERED, FAILED, DISABLED (no sink configured)
    t.string('delivery', 10).notNullable();
    t.integer('delivery_attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at_ms').nullable();
    t.text('last_delivery_error').nullable();
    t.bigInteger('delivered_at_ms').nullable();
    t.index(['confirmed_at_ms', 'reservation_id'], 'dp_reservations_confirmed');
    t.index(['concert_id', 'confirmed_at_ms'], 'dp_reservations_concert');
    t.index(['schedule_id', 'confirmed_at_ms'], 'dp_reservations_schedule');
    t.index(['delivery', 'next_attempt_at_ms'], 'dp_reservations_delivery_due');
  });

  // A cancellation of a confirmed reservation handled before its reservation.success (the two
  // events reach different subscribers, so their order is not guaranteed): applied on arrival.
  await knex.schema.createTable('dp_early_cancellations', (t) => {
    t.integer('reservation_id').primary();
    t.bigInteger('cancelled_at_ms').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dp_early_cancellations');
  await knex.schema.dropTable('dp_reservations');
  await knex.schema.dropTable('dp_schedules');
}
