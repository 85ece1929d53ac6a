import { expect } from 'chai';
import { queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { chargeOk, entriesOf, expectLedgerConsistent, FakeGateway, holdFor, paymentApp } from './payment-kit';

describe('Idempotency-Key on payments', () => {
  let app: TestApp;
  before(async () => {
    app = await paymentApp();
  });
  after(async () => app.stop());

  it('replays a repeated charge: same status and body, no second ledger entry', async () => {
    const user = await signupAndLogin(app.http);
    const first = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'charge-1').send({ amount: 5_000 });
    expect(first.status).to.equal(200);
    const repeat = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'charge-1').send({ amount: 5_000 });
    expect(repeat.status).to.equal(200);
    expect(repeat.body).to.deep.equal(first.body);
    expect(repeat.headers['idempotent-replayed']).to.equal('true');
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(5_000);
    expect(entries).to.have.length(1);
    // The same key is the caller's own: another user's identical request is a request of its own.
    const other = await signupAndLogin(app.http);
    const theirs = await app.http.post('/payments/charge').set(other.auth).set('Idempotency-Key', 'charge-1').send({ amount: 5_000 });
    expect(theirs.status).to.equal(200);
    expect(theirs.headers['idempotent-replayed']).to.equal(undefined);
    expect(theirs.body.transactionId).to.not.equal(first.body.transactionId);
  });

  it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing changed', async () => {
    const user = await signupAndLogin(app.http);
    await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'k-2').send({ amount: 1_000 });
    const reused = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'k-2').send({ amount: 2_000 });
    expect(reused.status).to.equal(422);
    expect(reused.body.code).to.equal('IDEMPOTENCY_KEY_REUSED');
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(1_000);
    expect(await entriesOf(app.platform, user.id)).to.have.length(1);
  });

  it('charges once for 10 concurrent repeats of one key', async () => {
    const user = await signupAndLogin(app.http);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'burst').send({ amount: 3_000 })),
    );
    for (const r of responses) expect([200, 409], JSON.stringify(r.body)).to.include(r.status);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).to.be.at.least(1);
    for (const r of ok) expect(r.body).to.deep.equal(ok[0].body);
    expect(await entriesOf(app.platform, user.id)).to.have.length(1);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(3_000);
  });

  it('replays a repeated payment, success and refusal alike', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 10_000);
    const reservationId = await holdFor(app, user.id, 8_000);
    const send = (key: string, id: number) =>
      app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).set('Idempotency-Key', key).send({ reservationId: id });
    const first = await send('pay-1', reservationId);
    expect(first.status).to.equal(200);
    const repeat = await send('pay-1', reservationId);
    expect(repeat.status).to.equal(200);
    expect(repeat.body).to.deep.equal(first.body);
    const payments = await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId });
    expect(payments).to.have.length(1);

    const second = await holdFor(app, user.id, 8_000);
    const refused = await send('pay-2', second);
    expect(refused.status).to.equal(402);
    await chargeOk(app, user, 10_000);
    // The same request gets the same answer; a new attempt needs a new key.
    const replayed = await send('pay-2', second);
    expect(replayed.status).to.equal(402);
    expect(replayed.body.code).to.equal('INSUFFICIENT_BALANCE');
    expect((await send('pay-3', second)).status).to.equal(200);
  });
});

describe('Idempotency-Key while the first charge is still at the gateway', () => {
  let app: TestApp;
  let gateway: FakeGateway;
  before(async () => {
    gateway = await FakeGateway.start();
    app = await paymentApp({ env: { PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT_MS: '10000' } });
  });
  after(async () => {
    await app.stop();
    await gateway.close();
  });

  it('answers a repeat 409 IDEMPOTENCY_IN_FLIGHT, then replays the finished response', async () => {
    const user = await signupAndLogin(app.http);
    gateway.hold();
    const arrived = gateway.nextArrival();
    const first = app.http
      .post('/payments/charge')
      .set(user.auth)
      .set('Idempotency-Key', 'slow-1')
      .send({ amount: 7_000 })
      .then((r) => r);
    await arrived;
    const during = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'slow-1').send({ amount: 7_000 });
    expect(during.status).to.equal(409);
    expect(during.body.code).to.equal('IDEMPOTENCY_IN_FLIGHT');
    expect(during.headers['retry-after']).to.equal('1');
    gateway.release();
    const done = await first;
    expect(done.status).to.equal(200);
    expect(done.body.balance).to.equal(7_000);
    const after = await app.http.post('/payments/charge').set(user.auth).set('Idempotency-Key', 'slow-1').send({ amount: 7_000 });
    expect(after.status).to.equal(200);
    expect(after.body).to.deep.equal(done.body);
    expect(gateway.chargeRequests.filter((r) => r.userId === user.id)).to.have.length(1);
    const { entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(entries).to.have.length(1);
  });
});
