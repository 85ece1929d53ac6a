import type { Knex } from 'knex';

/**
 * At most one RUNNING saga per reservation, no longer "one RUNNING or COMPENSATING": a saga that
 * timed out (FAILED) and whose late payment then arrives must be able to move to COMPENSATING to
 * refund it, even though the buyer has meanwhile started a second saga that is RUNNING.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index confirm_sagas_one_active');
  await knex.raw("create unique index confirm_sagas_one_running on confirm_sagas (reservation_id) where status = 'RUNNING'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index confirm_sagas_one_running');
  await knex.raw("create unique index confirm_sagas_one_active on confirm_sagas (reservation_id) where status in ('RUNNING', 'COMPENSATING')");
}
