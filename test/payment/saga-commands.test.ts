import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { chargeOk, entriesOf, expectLedgerConsistent, holdFor, newReservationId, paymentApp, publishAs, publishedByPayment } from './payment-kit';

/** The orchestrated saga (its orchestrator lives in the reservation module) talks to payments only through these events. */
describe('payment commands of the orchestrated saga', () => {
  let app: TestApp;
  before(async () => {
    app = await paymentApp();
  });
  after(async () => app.stop());

  const inAMinute = () => new Date(app.clock.now() + 60_000).toISOString();
  const replies = async (sagaId: string) => ({
    success: (await publishedByPayment(app.platform, 'payment.success')).filter((e) => e.sagaId === sagaId),
    failed: (await publishedByPayment(app.platform, 'payment.failed')).filter((e) => e.sagaId === sagaId),
    cancelled: (await publishedByPayment(app.platform, 'payment.cancelled')).filter((e) => e.sagaId === sagaId),
  });
  async function requestPayment(sagaId: string, reservationId: number, userId: number, amount: number, expiresAt = inAMinute()) {
    await publishAs(app.platform, 'payment.requested', reservationId, { sagaId, reservationId, userId, amount, expiresAt });
    await app.platform.bus.drain();
  }

  it('pays on payment.requested (no copy needed) and answers payment.success with the saga id', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const sagaId = randomUUID();
    const reservationId = newReservationId();
    await requestPayment(sagaId, reservationId, user.id, 60_000);
    const r = await replies(sagaId);
    expect(r.failed).to.have.length(0);
    expect(r.success).to.have.length(1);
    expect(r.success[0]).to.deep.include({ reservationId, userId: user.id, amount: 60_000, sagaId });
    const payment = await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId }).first();
    expect(payment).to.include({ id: r.success[0].paymentId, saga_id: sagaId, status: 'PAID' });
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(40_000);
    expect(entries.at(-1)).to.include({ type: 'PAYMENT', payment_id: payment.id, reservation_id: reservationId });
  });

  it('answers payment.failed INSUFFICIENT_BALANCE with nothing debited', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 10_000);
    const sagaId = randomUUID();
    const reservationId = newReservationId();
    await requestPayment(sagaId, reservationId, user.id, 10_001);
    const r = await replies(sagaId);
    expect(r.success).to.have.length(0);
    expect(r.failed).to.have.length(1);
    expect(r.failed[0]).to.deep.include({ reservationId, userId: user.id, sagaId, reason: 'INSUFFICIENT_BALANCE' });
    expect(r.failed[0].detail).to.be.a('string').and.not.empty;
    expect(await entriesOf(app.platform, user.id)).to.have.length(1);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(10_000);
    expect(await app.platform.database('payment').knex('payments').where({ reservation_id: reservationId })).to.have.length(0);
  });

  it('answers RESERVATION_NOT_PAYABLE for an expired hold, a cancelled one, and one already paid by the choreography', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);

    const expiredSaga = randomUUID();
    await requestPayment(expiredSaga, newReservationId(), user.id, 1_000, new Date(app.clock.now() - 1).toISOString());

    const cancelled = await holdFor(app, user.id, 1_000);
    await publishAs(app.platform, 'reservation.cancelled', cancelled, {
      reservationId: cancelled,
      userId: user.id,
      scheduleId: 1,
      seatId: cancelled,
      previousStatus: 'HELD',
      paymentId: null,
    });
    await app.platform.bus.drain();
    const cancelledSaga = randomUUID();
    await requestPayment(cancelledSaga, cancelled, user.id, 1_000);

    const paid = await holdFor(app, user.id, 1_000);
    expect((await app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId: paid })).status).to.equal(
      200,
    );
    const paidSaga = randomUUID();
    await requestPayment(paidSaga, paid, user.id, 1_000);

    for (const sagaId of [expiredSaga, cancelledSaga, paidSaga]) {
      const r = await replies(sagaId);
      expect(r.success, sagaId).to.have.length(0);
      expect(r.failed, sagaId).to.have.length(1);
      expect(r.failed[0].reason).to.equal('RESERVATION_NOT_PAYABLE');
    }
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(99_000);
    expect(entries.filter((e) => e.type === 'PAYMENT')).to.have.length(1);
  });

  it('does nothing new when the same saga asks again for a reservation it already paid', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const sagaId = randomUUID();
    const reservationId = newReservationId();
    await requestPayment(sagaId, reservationId, user.id, 25_000);
    await requestPayment(sagaId, reservationId, user.id, 25_000);
    const r = await replies(sagaId);
    expect(r.success).to.have.length(1);
    expect(r.failed).to.have.length(0);
    expect((await app.http.get('/balance').set(user.auth)).body.balance).to.equal(75_000);
  });

  it('refunds on payment.refund-requested once, answering payment.cancelled with the saga id every time', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const sagaId = randomUUID();
    const reservationId = newReservationId();
    await requestPayment(sagaId, reservationId, user.id, 80_000);
    const paymentId = (await replies(sagaId)).success[0].paymentId;
    for (let i = 0; i < 2; i += 1) {
      await publishAs(app.platform, 'payment.refund-requested', reservationId, { sagaId, paymentId, reservationId, userId: user.id, reason: 'CONFIRM_FAILED' });
      await app.platform.bus.drain();
    }
    const r = await replies(sagaId);
    expect(r.cancelled).to.have.length(2);
    for (const c of r.cancelled) expect(c).to.deep.include({ paymentId, reservationId, userId: user.id, amount: 80_000, sagaId, reason: 'CONFIRM_FAILED' });
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(100_000);
    expect(entries.filter((e) => e.type === 'REFUND')).to.have.length(1);
  });

  it('pays once when both sagas pay the same reservation at the same moment', async () => {
    const user = await signupAndLogin(app.http);
    await chargeOk(app, user, 100_000);
    const reservationId = await holdFor(app, user.id, 45_000);
    const sagaId = randomUUID();
    const [http] = await Promise.all([
      app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId }),
      publishAs(app.platform, 'payment.requested', reservationId, { sagaId, reservationId, userId: user.id, amount: 45_000, expiresAt: inAMinute() }),
    ]);
    await app.platform.bus.drain();
    const r = await replies(sagaId);
    // Exactly one of the two won.
    expect([http.status === 200, r.success.length === 1].filter(Boolean)).to.have.length(1);
    if (http.status !== 200) expect(http.body.code).to.equal('RESERVATION_NOT_PAYABLE');
    else expect(r.failed[0].reason).to.equal('RESERVATION_NOT_PAYABLE');
    const { balance, entries } = await expectLedgerConsistent(app.platform, user.id);
    expect(balance).to.equal(55_000);
    expect(entries.filter((e) => e.type === 'PAYMENT')).to.have.length(1);
  });
});
