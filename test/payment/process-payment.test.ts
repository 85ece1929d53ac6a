import { expect } from 'chai';
import type { QueuePasses } from '../../src/platform/auth/queue-pass';
import type { ManualClock } from '../../src/platform/clock/clock';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { chargeOk, entriesOf, expectLedgerConsistent, holdFor, newReservationId, paymentApp, publishAs, publishedByPayment } from './payment-kit';

const HOLD_WAIT_MS = 300;

describe('POST /payments/process (paying for a hold)', () => {
  let app: TestApp;
  before(async () => {
    app = await paymentApp({ env: { PAYMENT_HOLD_WAIT_MS: String(HOLD_WAIT_MS) } });
  });
  after(async () => app.stop());

  const pay = (user: TestUser, reservationId: unknown) =>
    app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId });

  it('pays a held reservation: debits the ledger, records the payment and publishes payment.success', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 200_000);
    const reservationId = await holdFor(app, user.id, 120_000);
    const res = await pay(user, reservationId);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({ reservationId, amount: 120_000, status: 'PAID', balance: 80_000 });
    expect(res.body.paymentId).to.be.a('number');

    const history = (await app.http.get('/payments/history').set(user.auth)).body.items;
    expect(history[0]).to.deep.include({ type: 'PAYMENT', amount: 120_000, balanceAfter: 80_000, reservationId, paymentId: res.body.paymentId });
    const events = (await publishedByPayment(app.platform, 'payment.success')).filter((e) => e.reservationId === reservationId);
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ paymentId: res.body.paymentId, reservationId, userId: user.id, amount: 120_000, sagaId: null });
    await expectLedgerConsistent(app.platform, user.id);
  });

  it('lets exactly one of 12 concurrent payments of one reservation through; the balance is exact', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 1_000_000);
    const reservationId = await holdFor(app, user.id, 70_000);
    const responses = await Promise.all(Array.from({ length: 12 }, () => pay(user, reservationId)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([200, ...Array(11).fill(409)]);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(930_000);
    expect(entries.filter((e) => e.type === 'PAYMENT')).to.have.length(1);
    const payments = await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId });
    expect(payments).to.have.length(1);
    expect((await publishedByPayment(app.platform, 'payment.success')).filter((e) => e.reservationId === reservationId)).to.have.length(1);
  });

  it("checks the queue pass against the hold's concert even when the payment comes before the hold's event (a default-room pass cannot pay a room's hold)", async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const passes = app.platform.root.get<QueuePasses>(PLATFORM.QueuePasses);
    const concertWithRoom = { roomId: 990_001, concertId: 9_001 };
    passes.noteRoom(concertWithRoom.roomId, concertWithRoom.concertId, true);
    try {
      const reservationId = newReservationId();
      const paying = pay(user, reservationId).then((r) => r);
      // The hold's event comes while the payment is already being answered (within PAYMENT_HOLD_WAIT_MS).
      await new Promise((r) => setTimeout(r, HOLD_WAIT_MS / 3));
      await publishAs(app.platform, 'reservation.held', reservationId, {
        reservationId,
        userId: user.id,
        scheduleId: 1,
        seatId: reservationId,
        concertId: concertWithRoom.concertId,
        price: 10_000,
        expiresAt: new Date(app.clock.now() + 60_000).toISOString(),
      });
      await app.platform.bus.drain();
      const res = await paying;
      expect(res.status, JSON.stringify(res.body)).to.equal(403);
      expect(res.body.code).to.equal('QUEUE_PASS_INVALID');
      expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(100_000);
      expect(await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId })).to.have.length(0);
    } finally {
      passes.noteRoom(concertWithRoom.roomId, concertWithRoom.concertId, false);
    }
  });

  it('refuses with 402 INSUFFICIENT_BALANCE and changes nothing when the points are short', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 50_000);
    const reservationId = await holdFor(app, user.id, 50_001);
    const res = await pay(user, reservationId);
    expect(res.status).to.equal(402);
    expect(res.body).to.include({ code: 'INSUFFICIENT_BALANCE', balance: 50_000, amount: 50_001 });
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(50_000);
    expect(await entriesOf(app.platform, user.id)).to.have.length(1);
    expect(await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId })).to.have.length(0);
    // Once charged enough, the same hold can be paid.
    await chargeOk(app, user, 1);
    expect((await pay(user, reservationId)).status).to.equal(200);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(0);
    await expectLedgerConsistent(app.platform, user.id);
  });

  it('refuses another user’s reservation with 409 RESERVATION_NOT_PAYABLE, exactly as an unknown one: same answer, no quicker', async () => {
    const owner = await signupAndLogin(app.http);
    const other = await signupAndLogin(app.http);
    await chargeOk(app, other, 100_000);
    const reservationId = await holdFor(app, owner.id, 10_000);
    const timed = async (id: number) => {
      const started = Date.now();
      const res = await pay(other, id);
      return { res, ms: Date.now() - started };
    };
    const theirs = await timed(reservationId);
    const unknown = await timed(newReservationId());
    for (const { res } of [theirs, unknown]) {
      expect(res.status).to.equal(409);
      expect(res.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    }
    expect(theirs.res.body.detail.replace(String(reservationId), 'N')).to.equal(unknown.res.body.detail.replace(/\d+/, 'N'));
    // Both wait for a hold of the caller's that never comes (PAYMENT_HOLD_WAIT_MS), so timing tells them apart no more than the body does.
    // A lower bound only: a busy machine can make either slower, never the wait shorter.
    expect(theirs.ms, 'another user’s reservation').to.be.at.least(HOLD_WAIT_MS - 20);
    expect(unknown.ms, 'an unknown reservation').to.be.at.least(HOLD_WAIT_MS - 20);
    expect((await app.http.get('/balance').set(other.auth)).body.balance).to.equal(100_000);
  });

  it('refuses an already paid reservation with 409', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const reservationId = await holdFor(app, user.id, 10_000);
    expect((await pay(user, reservationId)).status).to.equal(200);
    const again = await pay(user, reservationId);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(90_000);
  });

  it('refuses an expired hold with 409, by the clock even before the expiry event', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const reservationId = await holdFor(app, user.id, 10_000, { ttlMs: 60_000 });
    (app.clock as ManualClock).advance(60_000);
    const res = await pay(user, reservationId);
    expect(res.status).to.equal(409);
    expect(res.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    expect(res.body.detail).to.match(/expired/);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(100_000);
  });

  it('refuses a hold the reservation module has expired or cancelled, and a confirmed one', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const expired = await holdFor(app, user.id, 10_000);
    await publishAs(app.platform, 'reservation.expired', expired, { reservationId: expired, userId: user.id, scheduleId: 1, seatId: expired });
    const cancelled = await holdFor(app, user.id, 10_000);
    await publishAs(app.platform, 'reservation.cancelled', cancelled, {
      reservationId: cancelled,
      userId: user.id,
      scheduleId: 1,
      seatId: cancelled,
      previousStatus: 'HELD',
      paymentId: null,
    });
    // Confirmed by the other saga (paid there): our copy learns it from reservation.success.
    const confirmed = await holdFor(app, user.id, 10_000);
    await publishAs(app.platform, 'reservation.success', confirmed, {
      reservationId: confirmed,
      userId: user.id,
      concertId: 1,
      scheduleId: 1,
      seatId: confirmed,
      seatLabel: 'A-1',
      price: 10_000,
      paymentId: 999_999,
      confirmedAt: new Date(app.clock.now()).toISOString(),
    });
    await app.platform.bus.drain();
    for (const id of [expired, cancelled, confirmed]) {
      const res = await pay(user, id);
      expect(res.status, String(id)).to.equal(409);
      expect(res.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    }
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(100_000);
  });

  it('keeps an expiry that overtook its hold event: the late hold does not make it payable', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const reservationId = newReservationId();
    await publishAs(app.platform, 'reservation.expired', reservationId, { reservationId, userId: user.id, scheduleId: 1, seatId: reservationId });
    await app.platform.bus.drain();
    await publishAs(app.platform, 'reservation.held', reservationId, {
      reservationId,
      userId: user.id,
      scheduleId: 1,
      seatId: reservationId,
      price: 10_000,
      expiresAt: new Date(app.clock.now() + 60_000).toISOString(),
    });
    await app.platform.bus.drain();
    expect((await pay(user, reservationId)).status).to.equal(409);
  });

  it('answers 409 for a reservation it never hears of, after waiting briefly for the hold event', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const res = await pay(user, newReservationId());
    expect(res.status).to.equal(409);
    expect(res.body.code).to.equal('RESERVATION_NOT_PAYABLE');
  });

  it('checks the queue pass before the input, and the input before the business rules', async () => {
    const user = await signupAndLogin(app.http);
    const noPass = await app.http.post('/payments/process').set(user.auth).send({ reservationId: 1 });
    expect(noPass.status).to.equal(403);
    expect(noPass.body.code).to.equal('QUEUE_PASS_REQUIRED');
    const other = await signupAndLogin(app.http);
    const foreignPass = await app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, other.id)).send({ reservationId: 1 });
    expect(foreignPass.status).to.equal(403);
    expect(foreignPass.body.code).to.equal('QUEUE_PASS_INVALID');
    const noPassBadBody = await app.http.post('/payments/process').set(user.auth).send({ reservationId: 'x' });
    expect(noPassBadBody.status).to.equal(403);
    for (const body of [{}, { reservationId: 0 }, { reservationId: 1.5 }, { reservationId: '1' }, { reservationId: 1, amount: 5 }]) {
      const res = await app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
    }
  });
});

describe('POST /payments/process right after the hold (event lag)', () => {
  let app: TestApp;
  before(async () => {
    // The relay does not run until started: the hold event waits in the outbox.
    app = await paymentApp({ start: false });
  });
  after(async () => app.stop());

  it('waits for the hold event instead of failing the client', async () => {
    const user = await signupAndLogin(app.http);
    // Charging needs no event; the relay being stopped does not matter to it.
    await chargeOk(app, user, 100_000);
    const reservationId = await holdFor(app, user.id, 30_000, { wait: false });
    const waiting = () => app.platform.bus.changes.waitingOn('payment', reservationId);
    const pending = app.http
      .post('/payments/process')
      .set(user.auth)
      .set(queuePassFor(app.platform, user.id))
      .send({ reservationId })
      .then((r) => r);
    // The request is now waiting for the hold event; let the bus deliver it.
    for (let i = 0; i < 200 && waiting() === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(waiting()).to.equal(1);
    app.platform.start();
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({ reservationId, amount: 30_000, status: 'PAID', balance: 70_000 });
  });
});
