import { expect } from 'chai';
import { CatalogueRepository } from '../../src/modules/reservation/infrastructure/catalogue.repository';
import { createTestApp, type TestApp } from '../support/test-app';
import { onPostgres } from '../support/test-backend';

/**
 * PostgreSQL plans a named statement once per connection and keeps the plan. Made on a fresh,
 * never-analysed table, a plan that could read the due-for-expiry index for the user's live
 * holds would read every live hold of everyone on each hold for as long as the connection lives:
 * at an on-sale, tens of thousands of rows per hold.
 */
describe('reservation: the hold statement on PostgreSQL', () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  (onPostgres ? it : it.skip)("counts the user's live holds through the user's index, even in the plan kept from a fresh table", async () => {
    app = await createTestApp({ start: false });
    const db = app.platform.database('reservation');
    const sql = new CatalogueRepository(db).seatForHoldSql;
    const parameters = new Set(sql.match(/\$\d+/g)).size;
    const plan = await db.knex.transaction(async (trx) => {
      // The plan a connection keeps after its first executions: the generic one, made now, on the empty table.
      await trx.raw('set local plan_cache_mode = force_generic_plan');
      await trx.raw(`prepare hold_plan as ${sql}`);
      const rows: Array<{ 'QUERY PLAN': string }> = (await trx.raw(`explain execute hold_plan(${Array(parameters).fill('1').join(', ')})`)).rows;
      await trx.raw('deallocate hold_plan');
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).to.match(/reservations_(live_)?by_user/);
    expect(plan, plan).not.to.contain('reservations_due');
  });
});
