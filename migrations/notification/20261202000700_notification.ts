import type { Knex } from 'knex';

/** The notification module's tables: its copies of what the events tell, the notifications, the door's admissions. */
export async function up(knex: Knex): Promise<void> {
  // From auth.user.registered: where and in which language to write to a user.
  await knex.schema.createTable('nt_users', (t) => {
    t.integer('user_id').primary();
    t.string('email', 254).notNullable();
    t.string('name', 100).notNullable();
    t.string('locale', 5).notNullable();
  });
  // From concert.schedule.published: what a schedule and its seats are called.
  await knex.schema.createTable('nt_schedules', (t) => {
    t.integer('schedule_id').primary();
    t.integer('concert_id').notNullable();
    t.string('title', 200).notNullable();
    t.string('artist', 200).notNullable();
    t.string('venue', 200).notNullable();
    t.string('starts_at', 40).notNullable();
  });
  await knex.schema.createTable('nt_seats', (t) => {
    t.integer('seat_id').primary();
    t.integer('schedule_id').notNullable();
    t.string('label', 100).notNullable();
    t.integer('price').notNullable();
  });
  // From the reservation events: which seat a reservation is, and whether its ticket is revoked.
  await knex.schema.createTable('nt_reservations', (t) => {
    t.integer('reservation_id').primary();
    t.integer('user_id').notNullable();
    t.integer('schedule_id').nullable();
    t.integer('seat_id').nullable();
    t.string('seat_label', 100).nullable();
    t.integer('price').nullable();
    t.bigInteger('confirmed_at_ms').nullable();
    // Set once by a cancellation of the confirmed reservation or a refund: its ticket no longer admits.
    t.bigInteger('revoked_at_ms').nullable();
  });
  // One notification per handled event (source_event_id is unique).
  await knex.schema.createTable('nt_notifications', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable();
    // CONFIRMED, CANCELLED, EXPIRED, REFUNDED, FAILED
    t.string('type', 20).notNullable();
    t.integer('reservation_id').notNullable();
    t.integer('amount').nullable();
    t.string('reason', 200).nullable();
    t.string('source_event_id', 36).notNullable().unique();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('read_at_ms').nullable();
    // PENDING, SENT, FAILED, DISABLED (no SMTP_URL when it was made)
    t.string('email_status', 10).notNullable();
    t.integer('email_attempts').notNullable().defaultTo(0);
    t.bigInteger('next_email_at_ms').nullable();
    t.text('email_error').nullable();
    t.bigInteger('emailed_at_ms').nullable();
    t.index(['user_id', 'id'], 'nt_notifications_user');
    t.index(['email_status', 'next_email_at_ms'], 'nt_notifications_email_due');
  });
  // The door: a ticket admits once (the primary key decides between concurrent scans).
  await knex.schema.createTable('nt_admissions', (t) => {
    t.integer('reservation_id').primary();
    t.bigInteger('admitted_at_ms').notNullable();
    t.integer('admitted_by').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['nt_admissions', 'nt_notifications', 'nt_reservations', 'nt_seats', 'nt_schedules', 'nt_users']) await knex.schema.dropTable(table);
}
