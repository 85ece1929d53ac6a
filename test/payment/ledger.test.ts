import { expect } from 'chai';
import { signupAndLogin, type TestApp } from '../support/test-app';
import { chargeOk, entriesOf, expectLedgerConsistent, paymentApp } from './payment-kit';

describe('payment ledger: charge, balance, history', () => {
  let app: TestApp;
  before(async () => {
    app = await paymentApp();
  });
  after(async () => app.stop());

  it('gives a new user a balance of 0 and an empty history', async () => {
    const user = await signupAndLogin(app.http);
    const balance = await app.http.get('/balance').set(user.auth);
    expect(balance.status).to.equal(200);
    expect(balance.body).to.deep.equal({ balance: 0 });
    const history = await app.http.get('/payments/history').set(user.auth);
    expect(history.status).to.equal(200);
    expect(history.body).to.deep.equal({ items: [], nextBefore: null });
  });

  it('charges points: 200 {balance, transactionId}, and balance and history agree', async () => {
    const user = await signupAndLogin(app.http);
    const first = await app.http.post('/payments/charge').set(user.auth).send({ amount: 50_000 });
    expect(first.status).to.equal(200);
    expect(first.body.balance).to.equal(50_000);
    expect(first.body.transactionId).to.be.a('number');
    const second = await app.http.post('/payments/charge').set(user.auth).send({ amount: 1 });
    expect(second.body).to.deep.include({ balance: 50_001 });
    expect((await app.http.get('/balance').set(user.auth)).body).to.deep.equal({ balance: 50_001 });

    const history = await app.http.get('/payments/history').set(user.auth);
    expect(history.body.items).to.have.length(2);
    expect(history.body.items[0]).to.deep.include({ id: second.body.transactionId, type: 'CHARGE', amount: 1, balanceAfter: 50_001 });
    expect(history.body.items[1]).to.deep.include({ id: first.body.transactionId, type: 'CHARGE', amount: 50_000, balanceAfter: 50_000 });
    expect(history.body.items[0]).to.not.have.property('reservationId');
    expect(Date.parse(history.body.items[0].createdAt)).to.equal(app.clock.now());
    await expectLedgerConsistent(app.platform, user.id);
  });

  it('refuses bad amounts with 400 VALIDATION_FAILED and changes nothing', async () => {
    const user = await signupAndLogin(app.http);
    const bad: unknown[] = [
      { amount: 0 },
      { amount: -5 },
      { amount: 1.5 },
      { amount: 1_000_001 },
      { amount: '100' },
      { amount: null },
      {},
      { amount: 10, extra: true },
      [100],
    ];
    for (const body of bad) {
      const res = await app.http
        .post('/payments/charge')
        .set(user.auth)
        .send(body as object);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    }
    const malformed = await app.http.post('/payments/charge').set(user.auth).set('content-type', 'application/json').send('{"amount": 1');
    expect(malformed.status).to.equal(400);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(0);
    expect(await entriesOf(app.platform, user.id)).to.have.length(0);
  });

  it('accepts the per-charge bounds 1 and 1 000 000', async () => {
    const user = await signupAndLogin(app.http);
    expect(await chargeOk(app, user, 1)).to.equal(1);
    expect(await chargeOk(app, user, 1_000_000)).to.equal(1_000_001);
  });

  it('answers 401 without a valid bearer token', async () => {
    for (const res of [
      await app.http.post('/payments/charge').send({ amount: 10 }),
      await app.http.get('/balance'),
      await app.http.get('/payments/history').set('Authorization', 'Bearer not-a-token'),
    ]) {
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
  });

  it('lands 20 concurrent charges; the ledger sum equals the balance', async () => {
    const user = await signupAndLogin(app.http);
    const amounts = Array.from({ length: 20 }, (_, i) => 1_000 + i * 7);
    const responses = await Promise.all(amounts.map((amount) => app.http.post('/payments/charge').set(user.auth).send({ amount })));
    expect(responses.map((r) => r.status)).to.deep.equal(amounts.map(() => 200));
    const total = amounts.reduce((a, b) => a + b, 0);
    // Every response saw a distinct balance: the charges were applied one after another.
    expect(new Set(responses.map((r) => r.body.balance)).size).to.equal(20);
    expect(Math.max(...responses.map((r) => r.body.balance))).to.equal(total);
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(total);
    expect(entries).to.have.length(20);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(total);
  });

  it('pages the history newest first with limit and before', async () => {
    const user = await signupAndLogin(app.http);
    for (let i = 1; i <= 5; i += 1) await chargeOk(app, user, i * 10);
    const page1 = await app.http.get('/payments/history?limit=2').set(user.auth);
    expect(page1.status).to.equal(200);
    expect(page1.body.items.map((e: { amount: number }) => e.amount)).to.deep.equal([50, 40]);
    const page2 = await app.http.get(`/payments/history?limit=2&before=${page1.body.nextBefore}`).set(user.auth);
    expect(page2.body.items.map((e: { amount: number }) => e.amount)).to.deep.equal([30, 20]);
    const page3 = await app.http.get(`/payments/history?limit=2&before=${page2.body.nextBefore}`).set(user.auth);
    expect(page3.body.items.map((e: { amount: number }) => e.amount)).to.deep.equal([10]);
    expect(page3.body.nextBefore).to.equal(null);
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'before=-1']) {
      const res = await app.http.get(`/payments/history?${q}`).set(user.auth);
      expect(res.status, q).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
    }
  });

  it('shows only the caller’s own entries', async () => {
    const a = await signupAndLogin(app.http);
    const b = await signupAndLogin(app.http);
    await chargeOk(app, a, 700);
    expect((await app.http.get('/payments/history').set(b.auth)).body.items).to.have.length(0);
    expect((await app.http.get('/balance').set(b.auth)).body.balance).to.equal(0);
  });

  it('refuses a charge past the maximum balance with 422 BALANCE_LIMIT_EXCEEDED and nothing changed', async () => {
    const user = await signupAndLogin(app.http);
    for (let batch = 0; batch < 10; batch += 1) {
      const res = await Promise.all(Array.from({ length: 10 }, () => app.http.post('/payments/charge').set(user.auth).send({ amount: 1_000_000 })));
      expect(res.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    }
    const over = await app.http.post('/payments/charge').set(user.auth).send({ amount: 1 });
    expect(over.status).to.equal(422);
    expect(over.body).to.include({ code: 'BALANCE_LIMIT_EXCEEDED', maxBalance: 100_000_000 });
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(100_000_000);
    expect(entries).to.have.length(100);
  });
});
