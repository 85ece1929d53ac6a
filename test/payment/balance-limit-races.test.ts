import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { signupAndLogin, type TestApp } from '../support/test-app';
import { onPostgres } from '../support/test-backend';
import { expectLedgerConsistent, FakeGateway, paymentApp } from './payment-kit';

const LIMIT = 100_000_000;
const CHARGE = 1_000_000;

/**
 * The balance limit counts the balance and the charges still PENDING at the gateway. Through an
 * external gateway a charge only inserts its own PENDING attempt (no row it writes is shared with
 * another charge), so on PostgreSQL's snapshots two overlapping charges each saw room for one
 * more and both got in (write skew), unless the user's charges take turns (ChargeService's lock
 * `charges-of-user`). With the built-in gateway every charge also updates the account row, which
 * already makes the later of two overlapping charges run again; it is raced here as well.
 */
describe(`the balance limit under concurrent charges (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  const cases: Array<{ name: string; external: boolean }> = [
    { name: 'through an external gateway', external: true },
    { name: 'with the built-in gateway', external: false },
  ];
  for (const { name, external } of cases) {
    describe(name, () => {
      let gateway: FakeGateway | null = null;
      let app: TestApp;
      beforeEach(async () => {
        gateway = external ? await FakeGateway.start() : null;
        if (gateway) gateway.delayMs = 20;
        app = await paymentApp({ env: gateway ? { PAYMENT_GATEWAY_URL: gateway.url } : {} });
      });
      afterEach(async () => {
        await app.stop();
        await gateway?.close();
      });

      it(`20 parallel charges of ${CHARGE} with room for one, 5 users in turn: exactly 1 × 200 and 19 × 422 BALANCE_LIMIT_EXCEEDED each, never past ${LIMIT}`, async () => {
        // Every pooled connection open first: connections opening one by one would make the charges take turns by accident.
        await Promise.all(Array.from({ length: 10 }, () => app.http.get('/metrics').expect(200)));
        // A race is won by timing: a few rounds, so that one without the rule would show in at least one.
        for (let round = 1; round <= 5; round += 1) {
          const user = await signupAndLogin(app.http, `near-limit-${round}`);
          // A charge whose outcome the gateway has not told yet: it counts against the limit.
          const pendingId = randomUUID();
          await app.platform
            .database('payment')
            .knex('charge_attempts')
            .insert({ id: pendingId, user_id: user.id, amount: LIMIT - CHARGE, status: 'PENDING', created_at_ms: app.clock.now() });

          const results = await Promise.all(Array.from({ length: 20 }, () => app.http.post('/payments/charge').set(user.auth).send({ amount: CHARGE })));
          const statuses = results.map((r) => r.status).sort();
          expect(statuses, `round ${round}: ${JSON.stringify(results.filter((r) => r.status !== 422).map((r) => r.body))}`).to.deep.equal([
            200,
            ...Array(19).fill(422),
          ]);
          for (const r of results.filter((x) => x.status === 422)) expect(r.body.code).to.equal('BALANCE_LIMIT_EXCEEDED');

          const attempts: Array<{ amount: number; status: string }> = await app.platform
            .database('payment')
            .knex('charge_attempts')
            .where({ user_id: user.id });
          const counted = attempts.filter((a) => a.status === 'PENDING' || a.status === 'SETTLED').reduce((sum, a) => sum + Number(a.amount), 0);
          expect(counted, 'balance + pending charges').to.equal(LIMIT);

          if (gateway) {
            // The pending charge turns out approved: settled, the balance is exactly the limit.
            gateway.approve(pendingId, user.id, LIMIT - CHARGE);
            (app.clock as ManualClock).advance(10 * 60_000);
            await app.platform.runJob('payment', 'settle-charge-attempts');
          }
          const { balance } = await expectLedgerConsistent(app.platform, user.id);
          expect(balance).to.equal(gateway ? LIMIT : CHARGE);
        }
      });
    });
  }
});
