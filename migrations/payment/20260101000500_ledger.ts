import type { Knex } from 'knex';

/**
 * The payment module's tables: accounts (one balance per user), the immutable ledger, charge
 * attempts at the gateway, payments of reservations, and the module's own copy of reservations.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.integer('user_id').primary();
    // Integer won. The stored balance always equals the signed sum of the user's ledger entries.
    t.bigInteger('balance').notNullable();
    t.integer('version').notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    t.check('?? >= 0', ['balance'], 'accounts_balance_non_negative');
  });

  await knex.schema.createTable('charge_attempts', (t) => {
    // A UUID: the id the gateway sees, unique across databases and restarts.
    t.string('id', 36).primary();
    t.integer('user_id').notNullable();
    t.bigInteger('amount').notNullable();
    // PENDING (gateway asked, outcome not settled) → SETTLED | DECLINED | VOIDED
    t.string('status', 10).notNullable();
    t.string('gateway_ref', 200).nullable();
    t.string('failure', 500).nullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('resolved_at_ms').nullable();
    t.check('?? > 0', ['amount'], 'charge_attempts_amount_positive');
    t.index(['user_id', 'status'], 'charge_attempts_user_status');
    t.index(['status', 'created_at_ms'], 'charge_attempts_status_age');
  });

  await knex.schema.createTable('payments', (t) => {
    t.increments('id').primary();
    // At most one payment per reservation, whatever the concurrency: the final guard.
    t.integer('reservation_id').notNullable().unique();
    t.integer('user_id').notNullable();
    t.bigInteger('amount').notNullable();
    // PAID → REFUNDED
    t.string('status', 10).notNullable();
    t.string('saga_id', 100).nullable();
    t.string('refund_reason', 500).nullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('refunded_at_ms').nullable();
    t.check('?? >= 0', ['amount'], 'payments_amount_non_negative');
    t.index(['user_id'], 'payments_user');
  });

  await knex.schema.createTable('ledger_entries', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable();
    // CHARGE (+), PAYMENT (-), REFUND (+)
    t.string('type', 10).notNullable();
    t.bigInteger('amount').notNullable();
    t.bigInteger('balance_after').notNullable();
    t.integer('reservation_id').nullable();
    t.integer('payment_id').nullable().references('id').inTable('payments');
    t.string('charge_attempt_id', 36).nullable().references('id').inTable('charge_attempts');
    t.bigInteger('created_at_ms').notNullable();
    t.check('?? > 0', ['amount'], 'ledger_amount_positive');
    t.check('?? >= 0', ['balance_after'], 'ledger_balance_after_non_negative');
    t.check("?? in ('CHARGE', 'PAYMENT', 'REFUND')", ['type'], 'ledger_type_known');
    // One PAYMENT and at most one REFUND entry per payment; one CHARGE entry per gateway attempt.
    t.unique(['payment_id', 'type'], { indexName: 'ledger_one_entry_per_payment_and_type' });
    t.unique(['charge_attempt_id'], { indexName: 'ledger_one_entry_per_charge_attempt' });
    t.index(['user_id', 'id'], 'ledger_user_newest');
  });

  await knex.schema.createTable('reservation_copies', (t) => {
    // Fed by reservation events; the payment module's own knowledge of what is payable.
    t.integer('reservation_id').primary();
    t.integer('user_id').notNullable();
    // Null only while the hold event has not arrived yet (a later event came first).
    t.bigInteger('amount').nullable();
    t.bigInteger('expires_at_ms').nullable();
    // HELD → CONFIRMED | EXPIRED | CANCELLED; CONFIRMED → CANCELLED
    t.string('status', 10).notNullable();
    t.bigInteger('updated_at_ms').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reservation_copies');
  await knex.schema.dropTable('ledger_entries');
  await knex.schema.dropTable('payments');
  await knex.schema.dropTable('charge_attempts');
  await knex.schema.dropTable('accounts');
}
