import { expect } from 'chai';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { hold, newPaymentId, paymentSucceeded, paymentSucceededAt, published, publishSchedule, type TestSchedule } from './reservation-kit';

const TTL_MS = 60_000;
/** HOLD_PAYMENT_GRACE_SECONDS: how long past its expiry a hold keeps its seat for a payment made before the expiry. */
const GRACE_MS = 45_000;

interface Held {
  id: number;
  userId: number;
  price: number;
  seatId: number;
  expiresAt: string;
}

describe('reservation: choreography with payments', () => {
  let app: TestApp;
  let clock: ManualClock;
  let schedule: TestSchedule;
  let alice: TestUser;
  let bob: TestUser;
  let held: Held;

  const get = async (id: number, user = alice) => (await app.http.get(`/ticketing/reservations/${id}`).set(user.auth)).body;
  const historyTypes = async (id: number) =>
    (await app.http.get(`/ticketing/reservations/${id}/history`).set(alice.auth)).body.items.map((e: { type: string }) => e.type);

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { HOLD_TTL_SECONDS: String(TTL_MS / 1000), HOLD_PAYMENT_GRACE_SECONDS: String(GRACE_MS / 1000) } });
    schedule = await publishSchedule(app, 3);
    [alice, bob] = await Promise.all([signupAndLogin(app.http, 'alice'), signupAndLogin(app.http, 'bob')]);
    const res = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    expect(res.status).to.equal(201);
    held = res.body;
  });
  afterEach(() => app.stop());

  it('payment.success confirms the hold and publishes reservation.success with the catalogue facts', async () => {
    const { paymentId } = await paymentSucceeded(app, held);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);
    const confirmed = await get(held.id);
    expect(confirmed).to.include({ status: 'CONFIRMED', paymentId, price: schedule.seats[1].price });
    expect(confirmed.confirmedAt).to.equal(new Date(clock.now()).toISOString());
    expect(await published(app, 'reservation.success', held.id)).to.deep.equal([
      {
        reservationId: held.id,
        userId: alice.id,
        concertId: schedule.concertId,
        scheduleId: schedule.scheduleId,
        seatId: held.seatId,
        seatLabel: 'A2',
        price: held.price,
        paymentId,
        confirmedAt: confirmed.confirmedAt,
      },
    ]);
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed']);

    // A sold seat stays sold: past the hold's time, through the sweeper, for everyone.
    clock.advance(TTL_MS * 2);
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await get(held.id)).status).to.equal('CONFIRMED');
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(0);
  });

  it('a redelivered payment.success, or the same payment announced again, has no second effect', async () => {
    const { paymentId, envelope } = await paymentSucceeded(app, held);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);

    // The same event delivered again (a relay that died before marking it dispatched).
    const payments = app.platform.database('payment').knex;
    expect(await payments('outbox').where({ event_id: envelope.id }).update({ dispatched_at_ms: null })).to.equal(1);
    await app.platform.bus.drain();
    await eventually(async () => (await payments('outbox').where({ event_id: envelope.id }).first()).dispatched_at_ms !== null, app.platform);
    // The same payment under a new event id.
    await paymentSucceeded(app, held, paymentId);
    await app.platform.bus.drain();

    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
    expect(await published(app, 'reservation.failed', held.id)).to.have.length(0);
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed']);
  });

  it("a payment made at the hold's expiry (handled within the grace) → reservation.failed (refund), the reservation ends EXPIRED and frees its seat", async () => {
    clock.advance(TTL_MS);
    // occurredAt is now, the hold's expiry: made too late, the grace does not apply.
    const { paymentId } = await paymentSucceeded(app, held);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length === 1, app.platform);
    expect(await published(app, 'reservation.failed', held.id)).to.deep.equal([
      { reservationId: held.id, userId: alice.id, paymentId, reason: 'HOLD_EXPIRED' },
    ]);
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(1);
    expect(await published(app, 'reservation.success', held.id)).to.have.length(0);
    const row = await app.platform.database('reservation').knex('reservations').where({ id: held.id }).first();
    expect(row).to.include({ status: 'EXPIRED', payment_id: null });
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldExpired', 'ConfirmationFailed']);
    // The seat is free, and the sweeper has nothing left to do for this hold.
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).status).to.equal(201);
    await app.platform.runJob('reservation', 'expire-holds');
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(1);
  });

  it('payment.success for a hold the sweeper already expired once its grace was over → reservation.failed, status stays EXPIRED', async () => {
    const expiresAtMs = Date.parse(held.expiresAt);
    clock.advance(TTL_MS + GRACE_MS);
    await app.platform.runJob('reservation', 'expire-holds');
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(1);
    // Even a payment made while the hold was live is refused once the grace is over.
    const { paymentId } = await paymentSucceededAt(app, held, expiresAtMs - 1_000);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length === 1, app.platform);
    expect((await published(app, 'reservation.failed', held.id))[0]).to.include({ paymentId, reason: 'HOLD_EXPIRED' });
    expect((await get(held.id)).status).to.equal('EXPIRED');
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldExpired', 'ConfirmationFailed']);
  });

  it("a payment made before the expiry, handled after it within the grace → CONFIRMED; meanwhile the seat was nobody else's and the sweeper left it", async () => {
    const expiresAtMs = Date.parse(held.expiresAt);
    // The reservation service is down from just before the expiry until well into the grace.
    clock.set(expiresAtMs + GRACE_MS - 1_000);
    expect((await get(held.id)).status).to.equal('EXPIRED');
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    await app.platform.runJob('reservation', 'expire-holds');
    expect(await app.platform.database('reservation').knex('reservations').where({ id: held.id }).first()).to.include({ status: 'HELD' });
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(0);

    const { paymentId } = await paymentSucceededAt(app, held, expiresAtMs - 1_000);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);
    await app.platform.bus.drain();
    expect(await get(held.id)).to.include({ status: 'CONFIRMED', paymentId, confirmedAt: new Date(clock.now()).toISOString() });
    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
    expect((await published(app, 'reservation.success', held.id))[0]).to.include({ reservationId: held.id, paymentId });
    expect(await published(app, 'reservation.failed', held.id)).to.have.length(0);
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed']);

    // Sold: past the grace, through the sweeper, the seat stays the buyer's.
    clock.advance(GRACE_MS);
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await get(held.id)).status).to.equal('CONFIRMED');
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(0);
  });

  it('a payment made before the expiry, handled once the grace is over → reservation.failed (HOLD_EXPIRED, refund), EXPIRED', async () => {
    const expiresAtMs = Date.parse(held.expiresAt);
    clock.set(expiresAtMs + GRACE_MS);
    const { paymentId } = await paymentSucceededAt(app, held, expiresAtMs - 1_000);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length === 1, app.platform);
    expect(await published(app, 'reservation.failed', held.id)).to.deep.equal([
      { reservationId: held.id, userId: alice.id, paymentId, reason: 'HOLD_EXPIRED' },
    ]);
    expect(await published(app, 'reservation.success', held.id)).to.have.length(0);
    expect(await published(app, 'reservation.expired', held.id)).to.have.length(1);
    expect((await get(held.id)).status).to.equal('EXPIRED');
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldExpired', 'ConfirmationFailed']);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).status).to.equal(201);
  });

  it('a second buyer cannot take the seat of a hold in its grace, and can once the grace is over', async () => {
    const expiresAtMs = Date.parse(held.expiresAt);
    for (const at of [expiresAtMs, expiresAtMs + GRACE_MS - 1]) {
      clock.set(at);
      expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).body.code, new Date(at).toISOString()).to.equal(
        'SEAT_UNAVAILABLE',
      );
    }
    clock.set(expiresAtMs + GRACE_MS);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).status).to.equal(201);
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'HoldExpired']);
    // A payment made in time but arriving now is refunded: the seat is someone else's.
    const { paymentId } = await paymentSucceededAt(app, held, expiresAtMs - 1);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length === 1, app.platform);
    expect((await published(app, 'reservation.failed', held.id))[0]).to.include({ paymentId, reason: 'HOLD_EXPIRED' });
  });

  it('payment.success for a cancelled hold → reservation.failed, stays CANCELLED', async () => {
    expect((await app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth)).status).to.equal(200);
    const { paymentId } = await paymentSucceeded(app, held);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length === 1, app.platform);
    expect((await published(app, 'reservation.failed', held.id))[0]).to.deep.equal({
      reservationId: held.id,
      userId: alice.id,
      paymentId,
      reason: 'RESERVATION_CANCELLED',
    });
    expect((await get(held.id)).status).to.equal('CANCELLED');
  });

  it('a second payment for an already confirmed reservation is turned down (→ refund) once; the first stands', async () => {
    const first = await paymentSucceeded(app, held);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);
    const secondId = newPaymentId();
    await paymentSucceeded(app, held, secondId);
    await paymentSucceeded(app, held, secondId);
    await eventually(async () => (await published(app, 'reservation.failed', held.id)).length >= 1, app.platform);
    await app.platform.bus.drain();
    expect(await published(app, 'reservation.failed', held.id)).to.deep.equal([
      { reservationId: held.id, userId: alice.id, paymentId: secondId, reason: 'ALREADY_CONFIRMED' },
    ]);
    expect(await get(held.id)).to.include({ status: 'CONFIRMED', paymentId: first.paymentId });
    expect(await published(app, 'reservation.success', held.id)).to.have.length(1);
  });

  it('cancelling a CONFIRMED reservation frees the seat and publishes reservation.cancelled with the payment id', async () => {
    const { paymentId } = await paymentSucceeded(app, held);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);
    expect((await app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(bob.auth)).status).to.equal(404);
    const res = await app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: held.id, status: 'CANCELLED', paymentId });
    expect(await published(app, 'reservation.cancelled', held.id)).to.deep.equal([
      { reservationId: held.id, userId: alice.id, scheduleId: schedule.scheduleId, seatId: held.seatId, previousStatus: 'CONFIRMED', paymentId },
    ]);
    expect(await historyTypes(held.id)).to.deep.equal(['HoldPlaced', 'ReservationConfirmed', 'ReservationCancelled']);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: held.seatId })).status).to.equal(201);
    const again = await app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('RESERVATION_NOT_CANCELLABLE');
  });

  it('with the payment module: charge, pay, confirmed; cancelling refunds the points', async () => {
    const pass = queuePassFor(app.platform, alice.id);
    expect((await app.http.post('/payments/charge').set(alice.auth).send({ amount: 200_000 })).status).to.equal(200);
    const paid = await app.http.post('/payments/process').set(alice.auth).set(pass).send({ reservationId: held.id });
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    await eventually(async () => (await get(held.id)).status === 'CONFIRMED', app.platform);
    expect((await get(held.id)).paymentId).to.equal(paid.body.paymentId);
    expect((await app.http.get('/balance').set(alice.auth)).body.balance).to.equal(200_000 - held.price);

    expect((await app.http.post(`/ticketing/reservations/${held.id}/cancel`).set(alice.auth)).status).to.equal(200);
    await eventually(async () => (await app.http.get('/balance').set(alice.auth)).body.balance === 200_000, app.platform);
  });
});
