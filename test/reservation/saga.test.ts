import { expect } from 'chai';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, queuePassFor, signupAndLogin, type TestApp, type TestUser, tempDataDir } from '../support/test-app';
import { hold, newPaymentId, publishAs, published, publishSchedule, type TestSchedule } from './reservation-kit';

interface Held {
  id: number;
  userId: number;
  price: number;
  seatId: number;
}

function confirm(app: TestApp, user: TestUser, body: unknown, headers: Record<string, string> = {}) {
  return app.http
    .post('/ticketing/reservations/confirm')
    .set(user.auth)
    .set(queuePassFor(app.platform, user.id))
    .set(headers)
    .send(body as object);
}

async function sagaRows(app: TestApp, reservationId: number) {
  return app.platform.database('reservation').knex('confirm_sagas').where({ reservation_id: reservationId }).orderBy('created_at_ms');
}

describe('reservation: orchestrated confirm saga, with the payment module', () => {
  let app: TestApp;
  let clock: ManualClock;
  let schedule: TestSchedule;
  let alice: TestUser;
  let held: Held;

  const balance = async (user = alice) => (await app.http.get('/balance').set(user.auth)).body.balance;
  const charge = async (amount: number, user = alice) => expect((await app.http.post('/payments/charge').set(user.auth).send({ amount })).status).to.equal(200);

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock });
    schedule = await publishSchedule(app, 3);
    alice = await signupAndLogin(app.http, 'alice');
    const res = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    expect(res.status).to.equal(201);
    held = res.body;
  });
  afterEach(() => app.stop());

  it('happy path: pays, confirms and notifies; 200 with the reservation and the saga', async () => {
    await charge(200_000);
    const res = await confirm(app, alice, { reservationId: held.id });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.reservation).to.include({ id: held.id, status: 'CONFIRMED' });
    expect(res.body.saga).to.include({ status: 'COMPLETED', reservationId: held.id, currentStep: null, failure: null });
    expect(res.body.saga.completedSteps).to.deep.equal(['PAY', 'CONFIRM', 'NOTIFY']);
    expect(res.body.reservation.paymentId).to.equal(res.body.saga.paymentId);
    expect(await balance()).to.equal(200_000 - held.price);
    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
    expect(await published(app, 'payment.requested', held.id)).to.deep.equal([
      { sagaId: res.body.saga.id, reservationId: held.id, userId: alice.id, amount: held.price, expiresAt: new Date(clock.now() + 30_000).toISOString() },
    ]);
    const history = (await app.http.get(`/ticketing/reservations/${held.id}/history`).set(alice.auth)).body.items;
    expect(history.map((e: { type: string }) => e.type)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed']);
    expect(history[1].data).to.include({ sagaId: res.body.saga.id, paymentId: res.body.saga.paymentId });

    const saga = await app.http.get(`/ticketing/sagas/${res.body.saga.id}`).set(alice.auth);
    expect(saga.status).to.equal(200);
    expect(saga.body.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).to.deep.equal([
      'PAY:STARTED',
      'PAY:DONE',
      'CONFIRM:DONE',
      'NOTIFY:DONE',
    ]);
    const bob = await signupAndLogin(app.http, 'bob');
    expect((await app.http.get(`/ticketing/sagas/${res.body.saga.id}`).set(bob.auth)).status).to.equal(404);
    expect((await app.http.get('/ticketing/sagas/not-a-uuid').set(alice.auth)).status).to.equal(400);

    // Confirming again: not payable any more, and nothing else happens.
    const again = await confirm(app, alice, { reservationId: held.id });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    expect(await balance()).to.equal(200_000 - held.price);
  });

  it('insufficient balance: 402, nothing debited, the hold stays HELD and the saga FAILED with the reason', async () => {
    await charge(1000);
    const res = await confirm(app, alice, { reservationId: held.id });
    expect(res.status).to.equal(402);
    expect(res.body.code).to.equal('INSUFFICIENT_BALANCE');
    expect(await balance()).to.equal(1000);
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('HELD');
    const saga = (await app.http.get(`/ticketing/sagas/${res.body.saga.id}`).set(alice.auth)).body;
    expect(saga).to.include({ status: 'FAILED' });
    expect(saga.failure.code).to.equal('INSUFFICIENT_BALANCE');
    expect(saga.completedSteps).to.deep.equal([]);

    // With enough points, a new saga goes through.
    await charge(200_000);
    const retry = await confirm(app, alice, { reservationId: held.id });
    expect(retry.status).to.equal(200);
    expect(retry.body.saga.id).to.not.equal(res.body.saga.id);
    expect(await balance()).to.equal(201_000 - held.price);
  });

  it('not payable: someone else’s, expired or cancelled reservations; bad input is 400; nothing is written', async () => {
    await charge(200_000);
    const bob = await signupAndLogin(app.http, 'bob');
    const notYours = await confirm(app, bob, { reservationId: held.id });
    expect(notYours.status).to.equal(409);
    expect(notYours.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    expect((await confirm(app, alice, { reservationId: 987654 })).status).to.equal(409);
    for (const body of [{}, { reservationId: '1' }, { reservationId: -1 }, { reservationId: held.id, amount: 1 }]) {
      const res = await confirm(app, alice, body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
    }
    expect((await app.http.post('/ticketing/reservations/confirm').set(alice.auth).send({ reservationId: held.id })).status).to.equal(403);

    const second = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    expect((await app.http.post(`/ticketing/reservations/${second.body.id}/cancel`).set(alice.auth)).status).to.equal(200);
    expect((await confirm(app, alice, { reservationId: second.body.id })).body).to.include({
      status: 409,
      code: 'RESERVATION_NOT_PAYABLE',
      reservationStatus: 'CANCELLED',
    });

    clock.advance(300_000);
    const expired = await confirm(app, alice, { reservationId: held.id });
    expect(expired.body).to.include({ status: 409, code: 'RESERVATION_NOT_PAYABLE', reservationStatus: 'EXPIRED' });
    expect(await app.platform.database('reservation').knex('confirm_sagas').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
    expect(await balance()).to.equal(200_000);
  });

  it('both sagas at once on one reservation (choreography and orchestration): one payment, one confirmation', async () => {
    await charge(2 * held.price);
    const pass = queuePassFor(app.platform, alice.id);
    const [process, orchestrated] = await Promise.all([
      app.http.post('/payments/process').set(alice.auth).set(pass).send({ reservationId: held.id }),
      confirm(app, alice, { reservationId: held.id }),
    ]);
    expect(
      [process.status, orchestrated.status].filter((s) => s === 200),
      `${process.status} ${orchestrated.status}`,
    ).to.have.length(1);
    await eventually(async () => (await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status === 'CONFIRMED', app.platform);
    await app.platform.bus.drain();
    expect(await balance()).to.equal(held.price);
    const ledger = (await app.http.get('/payments/history').set(alice.auth)).body.items;
    expect(ledger.filter((e: { type: string }) => e.type === 'PAYMENT')).to.have.length(1);
    expect(ledger.filter((e: { type: string }) => e.type === 'REFUND')).to.have.length(0);
    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
    expect(await published(app, 'reservation.failed', held.id)).to.have.length(0);
  });

  it('an Idempotency-Key repeat returns the stored answer and starts no second saga', async () => {
    await charge(200_000);
    const key = { 'Idempotency-Key': `confirm-${held.id}` };
    const first = await confirm(app, alice, { reservationId: held.id }, key);
    expect(first.status).to.equal(200);
    const repeat = await confirm(app, alice, { reservationId: held.id }, key);
    expect(repeat.status).to.equal(200);
    expect(repeat.headers['idempotent-replayed']).to.equal('true');
    expect(repeat.body).to.deep.equal(first.body);
    expect(await sagaRows(app, held.id)).to.have.length(1);
    expect(await balance()).to.equal(200_000 - held.price);
  });
});

describe('reservation: orchestrated confirm saga, replies driven by the test', () => {
  let app: TestApp;
  let clock: ManualClock;
  let alice: TestUser;
  let held: Held;

  // No payment module in this process: the test plays its part, through the bus.
  const env = { MODULES: 'auth,concert,reservation', HOLD_TTL_SECONDS: '300' };
  const reply = <T extends 'payment.success' | 'payment.failed' | 'payment.cancelled'>(type: T, payload: Parameters<typeof publishAs<T>>[4]) =>
    publishAs(app.platform, 'reservation', type, held.id, payload);
  const saga = async (id: string) => (await app.http.get(`/ticketing/sagas/${id}`).set(alice.auth)).body;

  async function start(ttlSeconds = '300'): Promise<string> {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { ...env, HOLD_TTL_SECONDS: ttlSeconds } });
    const schedule = await publishSchedule(app, 2);
    alice = await signupAndLogin(app.http, 'alice');
    held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId })).body;
    const res = await confirm(app, alice, { reservationId: held.id }, { Prefer: 'wait=0' });
    expect(res.status).to.equal(202);
    expect(res.body.saga).to.include({ status: 'RUNNING', currentStep: 'PAY' });
    expect(res.headers.location).to.equal(`/ticketing/sagas/${res.body.saga.id}`);
    return res.body.saga.id;
  }
  afterEach(() => app.stop());

  it('the choreography handler leaves saga payments alone; the saga confirms them', async () => {
    const sagaId = await start();
    // A second confirm while the first runs joins the same saga.
    const joined = await confirm(app, alice, { reservationId: held.id }, { Prefer: 'wait=0' });
    expect(joined.body.saga.id).to.equal(sagaId);
    const paymentId = newPaymentId();
    await reply('payment.success', { paymentId, reservationId: held.id, userId: alice.id, amount: held.price, sagaId });
    await eventually(async () => (await saga(sagaId)).status === 'COMPLETED', app.platform);
    await app.platform.bus.drain();
    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
    expect(await published(app, 'reservation.failed', held.id)).to.have.length(0);
    const history = (await app.http.get(`/ticketing/reservations/${held.id}/history`).set(alice.auth)).body.items;
    expect(history.map((e: { type: string }) => e.type)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed']);
  });

  it('payment succeeds but the confirmation fails (hold expired) → refund compensation, asked again until answered', async () => {
    const sagaId = await start('10');
    clock.advance(10_000);
    const paymentId = newPaymentId();
    await reply('payment.success', { paymentId, reservationId: held.id, userId: alice.id, amount: held.price, sagaId });
    await eventually(async () => (await saga(sagaId)).status === 'COMPENSATING', app.platform);
    expect(await published(app, 'payment.refund-requested', held.id)).to.deep.equal([
      { sagaId, paymentId, reservationId: held.id, userId: alice.id, reason: 'HOLD_EXPIRED' },
    ]);
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('EXPIRED');
    const history = (await app.http.get(`/ticketing/reservations/${held.id}/history`).set(alice.auth)).body.items;
    expect(history.map((e: { type: string }) => e.type)).to.deep.equal(['HoldPlaced', 'HoldExpired', 'ConfirmationFailed']);
    // The orchestrator compensates: no choreography refund request, no success.
    expect(await published(app, 'reservation.failed', held.id)).to.have.length(0);
    expect(await published(app, 'reservation.success', held.id)).to.have.length(0);

    // No answer yet: the refund is asked again after its deadline.
    clock.advance(5_000);
    await app.platform.runJob('reservation', 'saga-deadlines');
    expect(await published(app, 'payment.refund-requested', held.id)).to.have.length(2);

    await reply('payment.cancelled', { paymentId, reservationId: held.id, userId: alice.id, amount: held.price, reason: 'HOLD_EXPIRED', sagaId });
    await eventually(async () => (await saga(sagaId)).status === 'COMPENSATED', app.platform);
    const done = await saga(sagaId);
    expect(done.completedSteps).to.deep.equal(['PAY', 'REFUND']);
    expect(done.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).to.deep.equal([
      'PAY:STARTED',
      'PAY:DONE',
      'CONFIRM:FAILED',
      'REFUND:STARTED',
      'REFUND:DONE',
    ]);
    expect(done.failure).to.deep.equal({ code: 'CONFIRMATION_FAILED', detail: 'HOLD_EXPIRED' });
    clock.advance(600_000);
    await app.platform.runJob('reservation', 'saga-deadlines');
    expect(await published(app, 'payment.refund-requested', held.id)).to.have.length(2);
  });

  it('a PAY step without reply is asked again, then times out; a late payment is refunded', async () => {
    const sagaId = await start();
    clock.advance(5_000);
    await app.platform.runJob('reservation', 'saga-deadlines');
    const requests = await published(app, 'payment.requested', held.id);
    expect(requests).to.have.length(2);
    expect(requests[1].sagaId).to.equal(sagaId);

    clock.advance(25_000);
    await app.platform.runJob('reservation', 'saga-deadlines');
    const timedOut = await saga(sagaId);
    expect(timedOut).to.include({ status: 'FAILED', currentStep: null });
    expect(timedOut.failure.code).to.equal('TIMEOUT');
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('HELD');

    const paymentId = newPaymentId();
    await reply('payment.success', { paymentId, reservationId: held.id, userId: alice.id, amount: held.price, sagaId });
    await eventually(async () => (await saga(sagaId)).status === 'COMPENSATING', app.platform);
    expect(await published(app, 'payment.refund-requested', held.id)).to.deep.equal([
      { sagaId, paymentId, reservationId: held.id, userId: alice.id, reason: 'PAYMENT_AFTER_SAGA_ENDED' },
    ]);
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('HELD');
    await reply('payment.cancelled', { paymentId, reservationId: held.id, userId: alice.id, amount: held.price, reason: 'x', sagaId });
    await eventually(async () => (await saga(sagaId)).status === 'COMPENSATED', app.platform);
  });

  it('a late payment of a timed-out saga is refunded even while a second saga of the same hold runs, which then confirms it', async () => {
    const first = await start();
    clock.advance(30_000);
    await app.platform.runJob('reservation', 'saga-deadlines');
    await app.platform.runJob('reservation', 'saga-deadlines');
    expect((await saga(first)).status).to.equal('FAILED');
    const again = await confirm(app, alice, { reservationId: held.id }, { Prefer: 'wait=0' });
    expect(again.status).to.equal(202);
    const second = again.body.saga.id;
    expect(second).to.not.equal(first);

    const latePayment = newPaymentId();
    await reply('payment.success', { paymentId: latePayment, reservationId: held.id, userId: alice.id, amount: held.price, sagaId: first });
    await eventually(async () => (await saga(first)).status === 'COMPENSATING', app.platform);
    expect(await published(app, 'payment.refund-requested', held.id)).to.deep.equal([
      { sagaId: first, paymentId: latePayment, reservationId: held.id, userId: alice.id, reason: 'PAYMENT_AFTER_SAGA_ENDED' },
    ]);
    expect((await saga(second)).status).to.equal('RUNNING');
    // A confirm now joins the running saga, not the one refunding.
    expect((await confirm(app, alice, { reservationId: held.id }, { Prefer: 'wait=0' })).body.saga.id).to.equal(second);

    await reply('payment.success', { paymentId: newPaymentId(), reservationId: held.id, userId: alice.id, amount: held.price, sagaId: second });
    await eventually(async () => (await saga(second)).status === 'COMPLETED', app.platform);
    await reply('payment.cancelled', { paymentId: latePayment, reservationId: held.id, userId: alice.id, amount: held.price, reason: 'x', sagaId: first });
    await eventually(async () => (await saga(first)).status === 'COMPENSATED', app.platform);
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('CONFIRMED');
    const deadLetters = await app.platform.database('reservation').knex('inbox').where({ status: 'DEAD' });
    expect(deadLetters).to.have.length(0);
  });

  it('a payment.failed reply fails the saga and leaves the hold', async () => {
    const sagaId = await start();
    await reply('payment.failed', { reservationId: held.id, userId: alice.id, sagaId, reason: 'RESERVATION_NOT_PAYABLE', detail: 'Already paid.' });
    await eventually(async () => (await saga(sagaId)).status === 'FAILED', app.platform);
    expect((await saga(sagaId)).failure).to.deep.equal({ code: 'RESERVATION_NOT_PAYABLE', detail: 'Already paid.' });
    expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('HELD');
  });
});

describe('reservation: orchestrated confirm saga across a restart', () => {
  it('a saga started before a restart resumes from its persisted step and completes exactly once', async () => {
    const clock = new ManualClock();
    const dataDir = tempDataDir();
    // First process: no payment module answers, so the saga is left waiting at PAY.
    let app = await createTestApp({ clock, env: { DATA_DIR: dataDir, MODULES: 'auth,concert,reservation' } });
    const schedule = await publishSchedule(app, 1);
    const alice = await signupAndLogin(app.http, 'alice');
    const held = (await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId })).body;
    const started = await confirm(app, alice, { reservationId: held.id }, { Prefer: 'wait=0' });
    expect(started.status).to.equal(202);
    const sagaId = started.body.saga.id;
    await app.stop();

    try {
      app = await createTestApp({ clock, env: { DATA_DIR: dataDir } });
      expect((await app.http.post('/payments/charge').set(alice.auth).send({ amount: 100_000 })).status).to.equal(200);
      clock.advance(5_000);
      await app.platform.runJob('reservation', 'saga-deadlines');
      await eventually(async () => (await app.http.get(`/ticketing/sagas/${sagaId}`).set(alice.auth)).body.status === 'COMPLETED', app.platform);
      expect((await app.http.get(`/ticketing/reservations/${held.id}`).set(alice.auth)).body.status).to.equal('CONFIRMED');
      await app.stop();

      app = await createTestApp({ clock, env: { DATA_DIR: dataDir } });
      clock.advance(60_000);
      await app.platform.runJob('reservation', 'saga-deadlines');
      await app.platform.bus.drain();
      expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
      const ledger = (await app.http.get('/payments/history').set(alice.auth)).body.items;
      expect(ledger.filter((e: { type: string }) => e.type === 'PAYMENT')).to.have.length(1);
      expect((await app.http.get('/balance').set(alice.auth)).body.balance).to.equal(100_000 - held.price);
    } finally {
      await app.stop();
    }
  });
});
