import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { eventually, queuePassFor, signupAndLogin, type TestApp, type TestUser, tempDataDir } from '../support/test-app';
import { entriesOf, expectLedgerConsistent, FakeGateway, holdFor, paymentApp } from './payment-kit';

/** A timeout no answer from 127.0.0.1 misses, even on a busy machine (tests not about timeouts). */
const RELAXED_TIMEOUT_MS = 2000;
/** Short, so that the breaker (resting 5 timeouts) half-opens within a second. */
const SHORT_TIMEOUT_MS = 200;

interface AttemptRow {
  id: string;
  status: string;
  amount: number;
  gateway_ref: string | null;
}

interface GatewayFixture {
  app: TestApp;
  gateway: FakeGateway;
  user: TestUser;
  timeoutMs: number;
  charge(amount: number): ReturnType<TestApp['http']['post']>;
  attempts(): Promise<AttemptRow[]>;
  breakerState(): Promise<number>;
  settleJob(): Promise<void>;
}

/** A fresh app and test gateway for each test of the enclosing describe. */
function withGateway(timeoutMs: number): GatewayFixture {
  const f = { timeoutMs } as GatewayFixture;
  beforeEach(async () => {
    f.gateway = await FakeGateway.start();
    f.app = await paymentApp({ env: { PAYMENT_GATEWAY_URL: f.gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: String(timeoutMs) } });
    f.user = await signupAndLogin(f.app.http);
  });
  afterEach(async () => {
    await f.app.stop();
    await f.gateway.close();
  });
  f.charge = (amount) => f.app.http.post('/payments/charge').set(f.user.auth).send({ amount });
  f.attempts = () => f.app.platform.database('payment').knex('charge_attempts').where({ user_id: f.user.id }).orderBy('created_at_ms');
  f.breakerState = async () => {
    const text = (await f.app.http.get('/metrics')).text;
    const match = /^payment_gateway_breaker_state (\d+)$/m.exec(text);
    if (!match) throw new Error('payment_gateway_breaker_state is not exposed');
    return Number(match[1]);
  };
  f.settleJob = () => f.app.platform.runJob('payment', 'settle-charge-attempts');
  return f;
}

describe('charging through an external payment gateway', () => {
  const f = withGateway(RELAXED_TIMEOUT_MS);

  it('credits an approved charge: the attempt id is sent as the idempotency key, the attempt is SETTLED', async () => {
    const res = await f.charge(12_000);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.balance).to.equal(12_000);
    expect(f.gateway.chargeRequests).to.have.length(1);
    const sent = f.gateway.chargeRequests[0];
    expect(sent).to.include({ userId: f.user.id, amount: 12_000, idempotencyKey: sent.attemptId });
    const [attempt] = await f.attempts();
    expect(attempt).to.include({ id: sent.attemptId, status: 'SETTLED', gateway_ref: f.gateway.records.get(sent.attemptId)!.gatewayRef });
    const [entry] = await entriesOf(f.app.platform, f.user.id);
    expect(entry).to.include({ id: res.body.transactionId, type: 'CHARGE', amount: 12_000 });
    expect(await f.breakerState()).to.equal(0);
  });

  it('retries a failed call with the same attempt id, so the gateway charges once', async () => {
    f.gateway.failNext = 1;
    const res = await f.charge(3_000);
    expect(res.status).to.equal(200);
    expect(f.gateway.chargeRequests).to.have.length(2);
    expect(f.gateway.chargeRequests[0].attemptId).to.equal(f.gateway.chargeRequests[1].attemptId);
    const { balance, entries } = await expectLedgerConsistent(f.app.platform, f.user.id);
    expect(balance).to.equal(3_000);
    expect(entries).to.have.length(1);
  });

  it('answers a declined charge 402 PAYMENT_DECLINED with nothing credited', async () => {
    f.gateway.mode = 'decline';
    const res = await f.charge(3_000);
    expect(res.status).to.equal(402);
    expect(res.body).to.include({ code: 'PAYMENT_DECLINED', reason: 'CARD_DECLINED' });
    expect(await entriesOf(f.app.platform, f.user.id)).to.have.length(0);
    expect((await f.attempts())[0].status).to.equal('DECLINED');
  });

  it('counts charges still PENDING against the balance limit', async () => {
    // A charge whose outcome is not known yet: 1 000 000 may still be credited.
    await f.app.platform
      .database('payment')
      .knex('charge_attempts')
      .insert({ id: randomUUID(), user_id: f.user.id, amount: 1_000_000, status: 'PENDING', created_at_ms: f.app.clock.now() });
    for (let batch = 0; batch < 9; batch += 1) {
      const res = await Promise.all(Array.from({ length: 11 }, () => f.charge(1_000_000)));
      expect(res.map((r) => r.status)).to.deep.equal(Array(11).fill(200));
    }
    const over = await f.charge(1);
    expect(over.status).to.equal(422);
    expect(over.body.code).to.equal('BALANCE_LIMIT_EXCEEDED');
    const [pending] = (await f.attempts()).filter((a) => a.status === 'PENDING');
    f.gateway.approve(pending.id, f.user.id, 1_000_000);
    (f.app.clock as ManualClock).advance(60_000);
    await f.settleJob();
    const { balance } = await expectLedgerConsistent(f.app.platform, f.user.id);
    expect(balance).to.equal(100_000_000);
  });
});

describe('a failing or slow payment gateway', () => {
  const f = withGateway(SHORT_TIMEOUT_MS);

  it('fails with 503 when the gateway fails; the breaker opens and then fails fast; it half-opens and recovers', async () => {
    await f.charge(50_000);
    f.gateway.mode = 'fail';
    const before = f.gateway.chargeRequests.length;
    const first = await f.charge(1_000);
    expect(first.status).to.equal(503);
    // The gateway was reached and answered 500: whether it charged is not known until it says so.
    expect(first.body.code).to.equal('PAYMENT_OUTCOME_UNKNOWN');
    // Tried twice (bounded retry), then given up.
    expect(f.gateway.chargeRequests.length - before).to.equal(2);
    const second = await f.charge(1_000);
    expect(second.status).to.equal(503);
    expect(await f.breakerState()).to.equal(2);

    const reachedBeforeOpen = f.gateway.chargeRequests.length;
    const fast = await f.charge(1_000);
    expect(fast.status).to.equal(503);
    expect(fast.body.code).to.equal('PAYMENT_GATEWAY_UNAVAILABLE');
    expect(f.gateway.chargeRequests.length, 'an open breaker does not call the gateway').to.equal(reachedBeforeOpen);
    // Nothing credited by any failed charge; the one never sent is void at once.
    expect((await f.app.http.get('/balance').set(f.user.auth)).body.balance).to.equal(50_000);
    expect(await entriesOf(f.app.platform, f.user.id)).to.have.length(1);
    expect((await f.attempts()).at(-1)?.status).to.equal('VOIDED');

    // Everything that needs no gateway keeps working meanwhile.
    const reservationId = await holdFor(f.app, f.user.id, 20_000);
    const paid = await f.app.http.post('/payments/process').set(f.user.auth).set(queuePassFor(f.app.platform, f.user.id)).send({ reservationId });
    expect(paid.status).to.equal(200);
    expect(paid.body.balance).to.equal(30_000);

    // After the reset timeout the breaker lets one probe through; a healthy gateway closes it.
    await eventually(async () => (await f.breakerState()) === 1, undefined, 10_000);
    f.gateway.mode = 'approve';
    let recovered = await f.charge(1_000);
    // A probe can still miss the short timeout on a loaded machine: then the breaker rests again.
    for (let i = 0; i < 5 && recovered.status === 503; i += 1) {
      await eventually(async () => (await f.breakerState()) === 1, undefined, 10_000);
      recovered = await f.charge(1_000);
    }
    expect(recovered.status).to.equal(200);
    expect(await f.breakerState()).to.equal(0);
    await expectLedgerConsistent(f.app.platform, f.user.id);

    // The failed calls that reached the gateway stay PENDING until the gateway says how they ended:
    // it never recorded them, so the settle job voids them without crediting anything.
    expect((await f.attempts()).filter((a) => a.status === 'PENDING').length).to.be.at.least(2);
    (f.app.clock as ManualClock).advance(60_000);
    await f.settleJob();
    expect((await f.attempts()).filter((a) => a.status === 'PENDING')).to.have.length(0);
    // The points are exactly what the gateway took, less the payment.
    const taken = [...f.gateway.records.values()].filter((r) => r.status === 'APPROVED').reduce((sum, r) => sum + r.amount, 0);
    expect((await f.app.http.get('/balance').set(f.user.auth)).body.balance).to.equal(taken - 20_000);
    await expectLedgerConsistent(f.app.platform, f.user.id);
  });

  it('times out a slow gateway with 503 PAYMENT_OUTCOME_UNKNOWN; when the gateway approved it after all, the settle job credits it once', async () => {
    f.gateway.delayMs = f.timeoutMs * 5;
    const res = await f.charge(9_000);
    expect(res.status).to.equal(503);
    expect(res.body.code).to.equal('PAYMENT_OUTCOME_UNKNOWN');
    // Unkeyed: the answer says it will be settled and where to see it.
    expect(res.body.detail).to.match(/settled/);
    expect(res.body.historyUrl).to.equal('/payments/history');
    expect(await entriesOf(f.app.platform, f.user.id)).to.have.length(0);
    const [attempt] = await f.attempts();
    expect(attempt.status).to.equal('PENDING');
    expect(f.gateway.records.get(attempt.id)?.status).to.equal('APPROVED');

    // Too young: a request could still be working on it.
    await f.settleJob();
    expect((await f.attempts())[0].status).to.equal('PENDING');

    (f.app.clock as ManualClock).advance(60_000);
    await f.settleJob();
    await f.settleJob();
    expect((await f.attempts())[0].status).to.equal('SETTLED');
    const { balance, entries } = await expectLedgerConsistent(f.app.platform, f.user.id);
    expect(balance).to.equal(9_000);
    expect(entries).to.have.length(1);
  });
});

describe('a charge interrupted between the gateway’s approval and the ledger write', () => {
  it('is settled once after a restart', async () => {
    const dataDir = tempDataDir();
    const gateway = await FakeGateway.start();
    const env = { DATA_DIR: dataDir, PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: String(RELAXED_TIMEOUT_MS) };
    try {
      const before = await paymentApp({ env });
      const user = await signupAndLogin(before.http);
      expect((await before.http.post('/payments/charge').set(user.auth).send({ amount: 1_000 })).status).to.equal(200);
      // The process recorded two attempts and died: the gateway approved the first, never saw the second.
      const approved = randomUUID();
      const unseen = randomUUID();
      const createdAt = before.clock.now();
      await before.platform
        .database('payment')
        .knex('charge_attempts')
        .insert([
          { id: approved, user_id: user.id, amount: 25_000, status: 'PENDING', created_at_ms: createdAt },
          { id: unseen, user_id: user.id, amount: 40_000, status: 'PENDING', created_at_ms: createdAt },
        ]);
      gateway.approve(approved, user.id, 25_000);
      await before.stop();

      const after = await paymentApp({ env });
      try {
        (after.clock as ManualClock).set(createdAt + 60_000);
        await after.platform.runJob('payment', 'settle-charge-attempts');
        await after.platform.runJob('payment', 'settle-charge-attempts');
        const rows = await after.platform.database('payment').knex('charge_attempts').whereIn('id', [approved, unseen]);
        expect(Object.fromEntries(rows.map((r: { id: string; status: string }) => [r.id, r.status]))).to.deep.equal({
          [approved]: 'SETTLED',
          [unseen]: 'VOIDED',
        });
        const { balance, entries } = await expectLedgerConsistent(after.platform, user.id);
        expect(balance).to.equal(26_000);
        expect(entries.map((e) => e.amount)).to.deep.equal([1_000, 25_000]);
        expect((await after.http.get('/balance').set(user.auth)).body.balance).to.equal(26_000);
      } finally {
        await after.stop();
      }
    } finally {
      await gateway.close();
    }
  });
});
