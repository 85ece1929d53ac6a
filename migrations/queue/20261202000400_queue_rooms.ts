import type { Knex } from 'knex';

/**
 * Waiting rooms per on-sale (ADR 0012): the rooms an admin defined, the pre-queue of each, and
 * the room of every queue token. Room 0 is the default room: every token taken before rooms
 * existed, and every token of a concert without a room.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('queue_rooms', (t) => {
    t.increments('id').primary();
    t.integer('concert_id').notNullable();
    // NULL: open at once (no pre-queue).
    t.bigInteger('opens_at_ms').nullable();
    t.integer('max_active').notNullable();
    t.integer('admit_per_second').notNullable();
    t.boolean('paused').notNullable().defaultTo(false);
    // SCHEDULED (before its opening) → OPENING (the pre-queue's shuffle is recorded, its tokens are being placed) → OPEN → CLOSED.
    t.string('state', 10).notNullable();
    // The concert while the room is not closed: the unique index makes "one room per concert" a database rule.
    t.integer('live_concert_id').nullable().unique();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    t.bigInteger('opened_at_ms').nullable();
    t.bigInteger('closed_at_ms').nullable();
  });
  await knex.schema.createTable('queue_prequeue', (t) => {
    t.increments('id').primary();
    t.integer('room_id').notNullable();
    t.string('token', 64).notNullable().unique();
    t.integer('user_id').notNullable();
    t.bigInteger('arrived_at_ms').notNullable();
    // The place the opening's shuffle drew (1-based), recorded before any token is placed; NULL for
    // an arrival after the opening began (placed behind the shuffled ones, in arrival order).
    t.integer('place').nullable();
    // Set once the token is in the room's queue (its queue_tokens row exists).
    t.bigInteger('placed_at_ms').nullable();
    t.unique(['room_id', 'user_id'], { indexName: 'queue_prequeue_room_user' });
    t.index(['room_id', 'placed_at_ms', 'place'], 'queue_prequeue_room_placing');
    // The rooms a user holds places in (the room limit, on every room join).
    t.index(['user_id'], 'queue_prequeue_user');
  });
  await knex.schema.alterTable('queue_tokens', (t) => {
    t.integer('room_id').notNullable().defaultTo(0);
  });
  // One live token per user per room (it was per user).
  await knex.schema.alterTable('queue_tokens', (t) => {
    t.dropUnique(['live_user_id']);
    t.unique(['live_user_id', 'room_id'], { indexName: 'queue_tokens_live_user_room' });
    t.index(['room_id', 'status', 'seq'], 'queue_tokens_room_status_seq');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('queue_tokens', (t) => {
    t.dropIndex(['room_id', 'status', 'seq'], 'queue_tokens_room_status_seq');
    t.dropUnique(['live_user_id', 'room_id'], 'queue_tokens_live_user_room');
    t.unique(['live_user_id']);
  });
  await knex.schema.alterTable('queue_tokens', (t) => {
    t.dropColumn('room_id');
  });
  await knex.schema.dropTable('queue_prequeue');
  await knex.schema.dropTable('queue_rooms');
}
