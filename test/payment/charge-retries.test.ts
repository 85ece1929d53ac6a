import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { keyedChargeAttemptId } from '../../src/modules/payment/commands/charge/charge-attempt-id';
import type { ManualClock } from '../../src/platform/clock/clock';
import { signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { entriesOf, expectLedgerConsistent, FakeGateway, paymentApp } from './payment-kit';

/**
 * A card must be charged once per intent. The dangerous case: the gateway takes the money but
 * answers after PAYMENT_GATEWAY_TIMEOUT_MS, the client is told 503 and retries with the same
 * Idempotency-Key, as Stripe's clients do. The retry must continue that same gateway attempt.
 */
const TIMEOUT_MS = 300;

describe('a keyed charge whose first outcome is unknown', () => {
  let gateway: FakeGateway;
  let app: TestApp;
  let user: TestUser;
  beforeEach(async () => {
    gateway = await FakeGateway.start();
    app = await paymentApp({ env: { PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: String(TIMEOUT_MS) } });
    user = await signupAndLogin(app.http);
  });
  afterEach(async () => {
    await app.stop();
    await gateway.close();
  });

  const charge = (amount: number, key?: string) => {
    const req = app.http.post('/payments/charge').set(user.auth);
    if (key) req.set('Idempotency-Key', key);
    return req.send({ amount });
  };
  const settleLater = async () => {
    (app.clock as ManualClock).advance(10 * 60_000);
    await app.platform.runJob('payment', 'settle-charge-attempts');
  };

  it('is continued by the repeat: the gateway is asked about the same attempt, the card is charged once and the points credited once', async () => {
    gateway.delayMs = TIMEOUT_MS * 4;
    const first = await charge(7_000, 'top-up-1');
    expect(first.status).to.equal(503);
    expect(first.body.code).to.equal('PAYMENT_OUTCOME_UNKNOWN');
    expect(first.body.detail).to.match(/same Idempotency-Key/);
    expect(gateway.charged(user.id), 'the gateway took the money').to.deep.equal([7_000]);

    gateway.delayMs = 0;
    const repeat = await charge(7_000, 'top-up-1');
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    expect(repeat.body.balance).to.equal(7_000);
    // Every request the gateway saw carried one attempt id, the one derived from (user, key).
    const ids = new Set(gateway.chargeRequests.map((r) => r.attemptId));
    expect([...ids]).to.deep.equal([keyedChargeAttemptId(user.id, 'top-up-1')]);
    expect(gateway.charged(user.id)).to.deep.equal([7_000]);

    // The settle job finds nothing left to do, and every later repeat replays the stored answer.
    await settleLater();
    const again = await charge(7_000, 'top-up-1');
    expect(again.status).to.equal(200);
    expect(again.headers['idempotent-replayed']).to.equal('true');
    expect(again.body).to.deep.equal(repeat.body);
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(7_000);
    expect(entries).to.have.length(1);
  });

  it('answers 409 IDEMPOTENCY_IN_FLIGHT with Retry-After while the gateway cannot tell yet, then the settled result', async () => {
    gateway.delayMs = TIMEOUT_MS * 4;
    expect((await charge(4_000, 'top-up-2')).status).to.equal(503);
    gateway.delayMs = 0;
    for (const mode of ['pending', 'fail'] as const) {
      gateway.statusMode = mode;
      const waiting = await charge(4_000, 'top-up-2');
      expect(waiting.status, mode).to.equal(409);
      expect(waiting.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
      expect(Number(waiting.headers['retry-after'])).to.be.at.least(1);
    }
    expect(await entriesOf(app.platform, user.id)).to.have.length(0);
    gateway.statusMode = 'answer';
    // The failed status calls opened the gateway's breaker: repeats are 409 until it lets a call through.
    let settled = await charge(4_000, 'top-up-2');
    for (let i = 0; i < 50 && settled.status === 409; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      settled = await charge(4_000, 'top-up-2');
    }
    expect(settled.status).to.equal(200);
    expect(settled.body.balance).to.equal(4_000);
    expect(gateway.charged(user.id)).to.deep.equal([4_000]);
    expect(new Set(gateway.chargeRequests.map((r) => r.attemptId)).size).to.equal(1);
  });

  it('answers 409 to a repeat that arrives while the first is still waiting for the gateway, and charges once', async () => {
    gateway.hold();
    const arrived = gateway.nextArrival();
    // then() sends it now (supertest sends a request only once it is awaited).
    const first = charge(3_000, 'top-up-3').then((r) => r);
    await arrived;
    const repeat = await charge(3_000, 'top-up-3');
    expect(repeat.status).to.equal(409);
    expect(repeat.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
    expect(repeat.headers['retry-after']).to.match(/^\d+$/);
    gateway.release();
    // The held answer came too late for the first request; the repeat after it gets the outcome.
    expect((await first).status).to.be.oneOf([200, 503]);
    const settled = await charge(3_000, 'top-up-3');
    expect(settled.status).to.equal(200);
    expect(gateway.charged(user.id)).to.deep.equal([3_000]);
    expect((await expectLedgerConsistent(app.platform, user.id)).balance).to.equal(3_000);
  });

  it('is settled by the settle job when nobody repeats it; a repeat then replays that answer', async () => {
    gateway.delayMs = TIMEOUT_MS * 4;
    expect((await charge(6_000, 'top-up-4')).status).to.equal(503);
    await settleLater();
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(6_000);
    const repeat = await charge(6_000, 'top-up-4');
    expect(repeat.status).to.equal(200);
    expect(repeat.headers['idempotent-replayed']).to.equal('true');
    expect(repeat.body).to.deep.equal({ balance: 6_000, transactionId: entries[0].id });
    expect(gateway.chargeRequests.filter((r) => r.attemptId === keyedChargeAttemptId(user.id, 'top-up-4')).length).to.be.at.least(1);
    expect(gateway.charged(user.id)).to.deep.equal([6_000]);
    expect((await entriesOf(app.platform, user.id)).length).to.equal(1);
  });

  it('sends the same attempt again when the first never reached the gateway, and a late copy of it cannot charge twice', async () => {
    gateway.mode = 'fail';
    const first = await charge(2_000, 'top-up-5');
    expect(first.status).to.equal(503);
    // The gateway saw it and failed: the outcome is unknown; the gateway has no record of it.
    gateway.mode = 'approve';
    const repeat = await charge(2_000, 'top-up-5');
    expect(repeat.status, JSON.stringify(repeat.body)).to.equal(200);
    // A copy of the first request arriving only now is deduplicated by the gateway on the attempt id.
    const lateCopy = await fetch(`${gateway.url}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attemptId: keyedChargeAttemptId(user.id, 'top-up-5'), userId: user.id, amount: 2_000 }),
    });
    expect(lateCopy.status).to.equal(200);
    expect(gateway.charged(user.id)).to.deep.equal([2_000]);
    await settleLater();
    expect((await expectLedgerConsistent(app.platform, user.id)).balance).to.equal(2_000);
  });

  it('answers an unkeyed charge with an unknown outcome 503 PAYMENT_OUTCOME_UNKNOWN; the settle job credits it once or voids it', async () => {
    gateway.delayMs = TIMEOUT_MS * 4;
    const res = await charge(5_000);
    expect(res.status).to.equal(503);
    expect(res.body).to.include({ code: 'PAYMENT_OUTCOME_UNKNOWN', historyUrl: '/payments/history' });
    expect(res.headers['retry-after']).to.equal('5');
    expect(res.body).to.not.have.property('retryAfterSeconds');
    expect(res.body.detail).to.match(/\/payments\/history/);
    // One the gateway never recorded: voided by the job, nothing credited.
    const neverCharged = randomUUID();
    await app.platform
      .database('payment')
      .knex('charge_attempts')
      .insert({ id: neverCharged, user_id: user.id, amount: 9_999, status: 'PENDING', created_at_ms: app.clock.now() });
    await settleLater();
    await settleLater();
    const rows = await app.platform.database('payment').knex('charge_attempts').where({ user_id: user.id });
    expect(rows.map((r: { status: string }) => r.status).sort()).to.deep.equal(['SETTLED', 'VOIDED']);
    const history = await app.http.get('/payments/history').set(user.auth);
    expect(history.body.items.map((i: { type: string; amount: number }) => [i.type, i.amount])).to.deep.equal([['CHARGE', 5_000]]);
  });
});
