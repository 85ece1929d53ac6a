import type { Knex } from 'knex';

/** Persisted state of the orchestrated confirm saga (pay → confirm → notify, refund to compensate). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('confirm_sagas', (t) => {
    t.string('id', 36).primary();
    t.integer('reservation_id').notNullable();
    t.integer('user_id').notNullable();
    t.integer('amount').notNullable();
    // RUNNING, COMPENSATING, COMPLETED, FAILED, COMPENSATED
    t.string('status', 15).notNullable();
    // The step in progress: PAY, REFUND, or null once finished
    t.string('step', 10).nullable();
    // JSON array of step records {name, status, at, detail?}
    t.text('steps').notNullable();
    t.integer('payment_id').nullable();
    t.string('failure_code', 40).nullable();
    t.text('failure_detail').nullable();
    // When the step in progress gives up (PAY) or is asked again (REFUND)
    t.bigInteger('deadline_at_ms').nullable();
    // When the command of the step in progress is sent again if no reply came
    t.bigInteger('retry_at_ms').nullable();
    t.integer('attempts').notNullable();
    t.bigInteger('created_at_ms').notNullable();
    t.bigInteger('updated_at_ms').notNullable();
    t.integer('version').notNullable();
    t.index(['status', 'retry_at_ms'], 'confirm_sagas_due');
    t.index(['reservation_id'], 'confirm_sagas_by_reservation');
  });
  // At most one saga in flight per reservation.
  await knex.raw("create unique index confirm_sagas_one_active on confirm_sagas (reservation_id) where status in ('RUNNING', 'COMPENSATING')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('confirm_sagas');
}
