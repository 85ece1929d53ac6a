import { expect } from 'chai';
import { expectLedgerConsistent, FakeGateway, holdFor, paymentApp } from '../payment/payment-kit';
import { hold, publishSchedule } from '../reservation/reservation-kit';
import { createTestApp, queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { onPostgres } from '../support/test-backend';

/**
 * The read-then-write spots that are safe on SQLite only because it has one writer (ADR 0009),
 * raced with real concurrent requests. They run in both passes; on PostgreSQL they are what
 * proves SERIALIZABLE plus the transparent retry: every answer is the business answer (201, 200,
 * 402, 409), never a 500, and the state is exactly what one-at-a-time would have left.
 */
describe(`invariants under concurrent requests (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, function () {
  this.timeout(60_000);

  describe('the per-user hold limit', () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ env: { MAX_HOLDS_PER_USER: '3', HOLD_TTL_SECONDS: '300' } });
    });
    after(() => app.stop());

    it('20 parallel holds by one user on 20 seats: exactly 3 × 201, 17 × 409 HOLD_LIMIT_REACHED, 3 live holds', async () => {
      const schedule = await publishSchedule(app, 20);
      const user = await signupAndLogin(app.http, 'greedy');
      const results = await Promise.all(schedule.seats.map((s) => hold(app, user, { scheduleId: schedule.scheduleId, seatId: s.seatId })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body))).to.deep.equal([
        ...Array(3).fill(201),
        ...Array(17).fill(409),
      ]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).to.equal('HOLD_LIMIT_REACHED');
      const reservations = app.platform.database('reservation').knex;
      const live = await reservations('reservations').where({ user_id: user.id, status: 'HELD' });
      expect(live).to.have.length(3);
      expect(
        (
          await reservations('seat_claims').whereIn(
            'reservation_id',
            live.map((r) => r.id),
          )
        ).length,
      ).to.equal(3);
    });
  });

  describe('one Idempotency-Key sent in parallel', () => {
    let gateway: FakeGateway;
    let app: TestApp;
    before(async () => {
      gateway = await FakeGateway.start();
      gateway.delayMs = 50;
      app = await paymentApp({ env: { PAYMENT_GATEWAY_URL: gateway.url } });
    });
    after(async () => {
      await app.stop();
      await gateway.close();
    });

    it('20 identical keyed charges: one effect (one card charge, one ledger entry), the rest replay it or answer 409, never 500', async () => {
      const user = await signupAndLogin(app.http, 'keyed');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'one-intent').send({ amount: 7_000 })),
      );
      for (const r of results) expect([200, 409], JSON.stringify(r.body)).to.include(r.status);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
      const answered = results.filter((r) => r.status === 200);
      expect(answered.length).to.be.at.least(1);
      for (const r of answered) expect(r.body).to.deep.equal(answered[0].body);
      expect(gateway.chargeRequests.filter((c) => c.userId === user.id)).to.have.length(1);
      const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
      expect(balance).to.equal(7_000);
      expect(entries).to.have.length(1);
    });
  });

  describe('payments and charges on one account', () => {
    let app: TestApp;
    before(async () => {
      app = await paymentApp();
    });
    after(() => app.stop());

    it('50 concurrent payments and charges: every answer 200 or 402, balance = ledger ≥ 0, each paid hold paid once', async () => {
      const user = await signupAndLogin(app.http, 'busy');
      const start = await app.http.post('/payments/charge').set(user.auth).send({ amount: 100_000 });
      expect(start.status).to.equal(200);
      const price = 30_000;
      const charge = 10_000;
      const holds = await Promise.all(Array.from({ length: 25 }, () => holdFor(app, user.id, price, { wait: false })));
      await app.platform.bus.drain();
      const requests = [
        ...holds.map((reservationId) => app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId })),
        ...Array.from({ length: 25 }, () => app.http.post('/payments/charge').set(user.auth).send({ amount: charge })),
      ];
      const results = await Promise.all(requests);
      const payments = results.slice(0, 25);
      const charges = results.slice(25);
      for (const r of charges) expect(r.status, JSON.stringify(r.body)).to.equal(200);
      for (const r of payments) expect([200, 402], JSON.stringify(r.body)).to.include(r.status);
      for (const r of payments.filter((x) => x.status === 402)) expect(r.body.code).to.equal('INSUFFICIENT_BALANCE');
      const paid = payments.filter((r) => r.status === 200).length;
      // 100 000 + 25 × 10 000 = 350 000 covers at most 11 payments of 30 000, and at least the 3 the opening balance covers.
      expect(paid).to.be.within(3, 11);

      const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
      expect(balance).to.equal(100_000 + 25 * charge - paid * price);
      expect(entries.filter((e) => e.type === 'PAYMENT')).to.have.length(paid);
      expect(entries.filter((e) => e.type === 'CHARGE')).to.have.length(26);
      const rows = await app.platform.database('payment').knex('payments').whereIn('reservation_id', holds);
      expect(rows).to.have.length(paid);
      expect(new Set(rows.map((r) => r.reservation_id)).size).to.equal(paid);
    });
  });
});
