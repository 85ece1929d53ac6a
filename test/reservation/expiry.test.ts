import { expect } from 'chai';
import { EXPIRE_BATCH } from '../../src/modules/reservation/jobs/expire-holds.job';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, signupAndLogin, type TestApp, type TestUser, tempDataDir } from '../support/test-app';
import { hold, published, publishSchedule, type TestSchedule } from './reservation-kit';

const TTL_MS = 60_000;
/** HOLD_PAYMENT_GRACE_SECONDS: how long past its expiry a hold keeps its seat for a payment made in time. */
const GRACE_MS = 30_000;

describe('reservation: hold expiry', () => {
  let app: TestApp;
  let clock: ManualClock;
  let schedule: TestSchedule;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({
      clock,
      env: { HOLD_TTL_SECONDS: String(TTL_MS / 1000), HOLD_PAYMENT_GRACE_SECONDS: String(GRACE_MS / 1000), MAX_HOLDS_PER_USER: '1' },
    });
    schedule = await publishSchedule(app, 3);
    [alice, bob] = await Promise.all([signupAndLogin(app.http, 'alice'), signupAndLogin(app.http, 'bob')]);
  });
  afterEach(() => app.stop());

  it("reads EXPIRED the instant the hold expires; its seat stays the holder's through the payment grace, then is free before any sweeper", async () => {
    const seatId = schedule.seats[0].seatId;
    const first = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId });
    expect(first.status).to.equal(201);

    clock.advance(TTL_MS - 1);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    expect((await app.http.get(`/ticketing/reservations/${first.body.id}`).set(alice.auth)).body.status).to.equal('HELD');

    clock.advance(1);
    // Reads say EXPIRED as soon as the time is up (no new payment is taken for it).
    expect((await app.http.get(`/ticketing/reservations/${first.body.id}`).set(alice.auth)).body.status).to.equal('EXPIRED');
    // The expired hold no longer counts towards alice's limit of one, even in its grace.
    expect((await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId })).status).to.equal(201);
    // But during the grace nobody else can take its seat: a payment made in time may still confirm it.
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    clock.advance(GRACE_MS - 1);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    expect(await published(app, 'reservation.expired', first.body.id)).to.have.length(0);

    clock.advance(1);
    // Once the grace is over the seat can be taken at once; the old hold's expiry is recorded in the same transaction.
    const second = await hold(app, bob, { scheduleId: schedule.scheduleId, seatId });
    expect(second.status).to.equal(201);
    expect(await published(app, 'reservation.expired', first.body.id)).to.deep.equal([
      { reservationId: first.body.id, userId: alice.id, scheduleId: schedule.scheduleId, seatId },
    ]);
    const history = await app.http.get(`/ticketing/reservations/${first.body.id}/history`).set(alice.auth);
    expect(history.body.items.map((e: { type: string }) => e.type)).to.deep.equal(['HoldPlaced', 'HoldExpired']);
    expect(history.body.items[1].data).to.deep.equal({ expiredAt: first.body.expiresAt });
  });

  it('the sweeper job marks due holds EXPIRED in the read model, releases their seats and publishes reservation.expired once', async () => {
    const a = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    clock.advance(10_000);
    const b = await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    const db = app.platform.database('reservation').knex;

    clock.advance(TTL_MS - 10_000);
    // a's time is up, but it is in its payment grace: the sweeper leaves it (and its seat) alone.
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await db('reservations').where({ id: a.body.id }).first()).status).to.equal('HELD');
    expect(await db('seat_claims').orderBy('reservation_id').pluck('reservation_id')).to.deep.equal([a.body.id, b.body.id]);
    expect(await published(app, 'reservation.expired')).to.have.length(0);

    clock.advance(GRACE_MS);
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await db('reservations').where({ id: a.body.id }).first()).status).to.equal('EXPIRED');
    expect((await db('reservations').where({ id: b.body.id }).first()).status).to.equal('HELD');
    expect(await db('seat_claims').pluck('reservation_id')).to.deep.equal([b.body.id]);
    expect(await published(app, 'reservation.expired')).to.deep.equal([
      { reservationId: a.body.id, userId: alice.id, scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId },
    ]);

    await app.platform.runJob('reservation', 'expire-holds');
    expect(await published(app, 'reservation.expired')).to.have.length(1);
    const cancel = await app.http.post(`/ticketing/reservations/${a.body.id}/cancel`).set(alice.auth);
    expect(cancel.status).to.equal(409);
    expect(cancel.body).to.include({ code: 'RESERVATION_NOT_CANCELLABLE', status: 409, reservationStatus: 'EXPIRED' });

    clock.advance(10_000);
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await db('reservations').where({ id: b.body.id }).first()).status).to.equal('EXPIRED');
    expect(await db('seat_claims').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
    expect(await published(app, 'reservation.expired')).to.have.length(2);
  });

  it('sweeps many due holds in batches', async function () {
    this.timeout(60_000);
    await app.stop();
    app = await createTestApp({
      clock,
      env: { HOLD_TTL_SECONDS: String(TTL_MS / 1000), HOLD_PAYMENT_GRACE_SECONDS: String(GRACE_MS / 1000), MAX_HOLDS_PER_USER: '100' },
    });
    const many = await publishSchedule(app, 250);
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => signupAndLogin(app.http, `u${i}`)));
    const results = await Promise.all(many.seats.map((seat, i) => hold(app, users[i % 5], { scheduleId: many.scheduleId, seatId: seat.seatId })));
    expect(results.every((r) => r.status === 201)).to.equal(true);
    clock.advance(TTL_MS + GRACE_MS);
    // More due holds than one batch (EXPIRE_BATCH): the job goes on until none is left.
    expect(many.seats.length).to.be.greaterThan(EXPIRE_BATCH);
    await app.platform.runJob('reservation', 'expire-holds');
    const db = app.platform.database('reservation').knex;
    expect(await db('reservations').where({ status: 'HELD' }).count({ n: '*' }).first()).to.deep.equal({ n: 0 });
    expect(await db('reservation_events').where({ type: 'HoldExpired' }).count({ n: '*' }).first()).to.deep.equal({ n: 250 });
    expect(await published(app, 'reservation.expired')).to.have.length(250);
    expect(await db('seat_claims').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
  });

  it('a restart on the same files keeps holds and their expiry', async () => {
    await app.stop();
    const dataDir = tempDataDir();
    const env = { DATA_DIR: dataDir, HOLD_TTL_SECONDS: String(TTL_MS / 1000), HOLD_PAYMENT_GRACE_SECONDS: String(GRACE_MS / 1000), MAX_HOLDS_PER_USER: '1' };
    app = await createTestApp({ clock, env });
    schedule = await publishSchedule(app, 2);
    alice = await signupAndLogin(app.http, 'alice');
    bob = await signupAndLogin(app.http, 'bob');
    const seatId = schedule.seats[0].seatId;
    const held = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId });
    expect(held.status).to.equal(201);
    await app.stop();

    app = await createTestApp({ clock, env });
    const after = await app.http.get(`/ticketing/reservations/${held.body.id}`).set(alice.auth);
    expect(after.status).to.equal(200);
    expect(after.body).to.deep.equal(held.body);
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId })).body.code).to.equal('SEAT_UNAVAILABLE');
    expect((await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId })).body.code).to.equal('HOLD_LIMIT_REACHED');

    clock.advance(TTL_MS + GRACE_MS);
    await app.platform.runJob('reservation', 'expire-holds');
    expect((await app.http.get(`/ticketing/reservations/${held.body.id}`).set(alice.auth)).body.status).to.equal('EXPIRED');
    expect(await published(app, 'reservation.expired', held.body.id)).to.have.length(1);
    await app.stop();

    app = await createTestApp({ clock, env });
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId })).status).to.equal(201);
    const history = await app.http.get(`/ticketing/reservations/${held.body.id}/history`).set(alice.auth);
    expect(history.body.items.map((e: { type: string; version: number }) => `${e.version}:${e.type}`)).to.deep.equal(['1:HoldPlaced', '2:HoldExpired']);
  });
});
