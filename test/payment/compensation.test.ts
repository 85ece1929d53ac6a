import { expect } from 'chai';
import { queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { chargeOk, expectLedgerConsistent, holdFor, paymentApp, publishAs, publishedByPayment } from './payment-kit';

/** Choreography compensation: the reservation module says the payment must be given back. */
describe('payment compensation (choreography)', () => {
  let app: TestApp;
  before(async () => {
    app = await paymentApp();
  });
  after(async () => app.stop());

  async function paidReservation(user: TestUser, price: number): Promise<{ reservationId: number; paymentId: number }> {
    const reservationId = await holdFor(app, user.id, price);
    const res = await app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return { reservationId, paymentId: res.body.paymentId };
  }

  const cancelledFor = async (reservationId: number) =>
    (await publishedByPayment(app.platform, 'payment.cancelled')).filter((e) => e.reservationId === reservationId);
  const paymentRow = (id: number) => app.platform.database('payment').knex('payments').where({ id }).first();

  it('refunds on reservation.failed: REFUND entry, payment REFUNDED, payment.cancelled, balance whole', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 150_000);
    const { reservationId, paymentId } = await paidReservation(user, 120_000);
    await publishAs(app.platform, 'reservation.failed', reservationId, { reservationId, userId: user.id, paymentId, reason: 'HOLD_EXPIRED' });
    await app.platform.bus.drain();

    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(150_000);
    const history = (await app.http.get('/payments/history').set(user.auth)).body.items;
    expect(history.map((e: { type: string }) => e.type)).to.deep.equal(['REFUND', 'PAYMENT', 'CHARGE']);
    expect(history[0]).to.deep.include({ amount: 120_000, balanceAfter: 150_000, reservationId, paymentId });
    expect(await paymentRow(paymentId)).to.include({ status: 'REFUNDED' });
    const cancelled = await cancelledFor(reservationId);
    expect(cancelled).to.have.length(1);
    expect(cancelled[0]).to.deep.include({ paymentId, reservationId, userId: user.id, amount: 120_000, sagaId: null });
    expect(cancelled[0].reason).to.match(/HOLD_EXPIRED/);
    await expectLedgerConsistent(app.platform, user.id);
  });

  it('refunds at most once: a redelivered event, a second failure and a cancellation of the same payment change nothing more', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const { reservationId, paymentId } = await paidReservation(user, 40_000);
    const failed = await publishAs(app.platform, 'reservation.failed', reservationId, { reservationId, userId: user.id, paymentId, reason: 'HOLD_EXPIRED' });
    await app.platform.bus.drain();
    // The same event again, as a relay that died before marking it dispatched would send it.
    await app.platform.database('auth').knex('outbox').where({ event_id: failed.id }).update({ dispatched_at_ms: null });
    await publishAs(app.platform, 'reservation.failed', reservationId, { reservationId, userId: user.id, paymentId, reason: 'HOLD_EXPIRED' });
    await publishAs(app.platform, 'reservation.cancelled', reservationId, {
      reservationId,
      userId: user.id,
      scheduleId: 1,
      seatId: reservationId,
      previousStatus: 'CONFIRMED',
      paymentId,
    });
    await app.platform.bus.drain();

    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(100_000);
    expect(entries.filter((e) => e.type === 'REFUND')).to.have.length(1);
    expect(await cancelledFor(reservationId)).to.have.length(1);
    expect(await app.platform.bus.deadLetters()).to.have.length(0);
  });

  it('refunds a cancelled CONFIRMED reservation, and refunds nothing for a cancelled hold', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const { reservationId, paymentId } = await paidReservation(user, 30_000);
    await publishAs(app.platform, 'reservation.success', reservationId, {
      reservationId,
      userId: user.id,
      concertId: 1,
      scheduleId: 1,
      seatId: reservationId,
      seatLabel: 'A-1',
      price: 30_000,
      paymentId,
      confirmedAt: new Date(app.clock.now()).toISOString(),
    });
    await app.platform.bus.drain();
    await publishAs(app.platform, 'reservation.cancelled', reservationId, {
      reservationId,
      userId: user.id,
      scheduleId: 1,
      seatId: reservationId,
      previousStatus: 'CONFIRMED',
      paymentId,
    });
    const hold = await holdFor(app, user.id, 5_000);
    await publishAs(app.platform, 'reservation.cancelled', hold, {
      reservationId: hold,
      userId: user.id,
      scheduleId: 1,
      seatId: hold,
      previousStatus: 'HELD',
      paymentId: null,
    });
    await app.platform.bus.drain();

    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(100_000);
    expect(await paymentRow(paymentId)).to.include({ status: 'REFUNDED', refund_reason: 'RESERVATION_CANCELLED' });
    const cancelled = await cancelledFor(reservationId);
    expect(cancelled).to.have.length(1);
    expect(cancelled[0]).to.include({ reason: 'RESERVATION_CANCELLED', sagaId: null });
    expect(await cancelledFor(hold)).to.have.length(0);
    const copy = await app.platform.database('payment').knex('reservation_copies').where({ reservation_id: reservationId }).first();
    expect(copy.status).to.equal('CANCELLED');
    await expectLedgerConsistent(app.platform, user.id);
  });

  it('parks a failure naming a payment it does not have as a dead letter, changing nothing', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 10_000);
    await publishAs(app.platform, 'reservation.failed', 424_242, { reservationId: 424_242, userId: user.id, paymentId: 987_654, reason: 'HOLD_EXPIRED' });
    await app.platform.bus.drain();
    const dead = (await app.platform.bus.deadLetters()).filter((d) => d.aggregateId === '424242');
    expect(dead).to.have.length(1);
    expect(dead[0]).to.include({ module: 'payment', subscriber: 'payment.refund-on-reservation-failed' });
    expect(dead[0].error).to.match(/No payment 987654/);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(10_000);
  });
});
