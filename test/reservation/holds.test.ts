import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { hold, publishAs, published, publishSchedule, type TestSchedule, tableCount } from './reservation-kit';

describe('reservation: seat holds', () => {
  let app: TestApp;
  let schedule: TestSchedule;
  let alice: TestUser;

  beforeEach(async () => {
    app = await createTestApp({ env: { MAX_HOLDS_PER_USER: '2', HOLD_TTL_SECONDS: '300' } });
    schedule = await publishSchedule(app, 6);
    alice = await signupAndLogin(app.http, 'alice');
  });
  afterEach(() => app.stop());

  it('holds a seat at the catalogue price and publishes reservation.held', async () => {
    const seat = schedule.seats[2];
    const res = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: seat.seatId });
    expect(res.status).to.equal(201);
    const clock = app.clock as ManualClock;
    expect(res.body).to.include({ status: 'HELD', userId: alice.id, scheduleId: schedule.scheduleId, seatId: seat.seatId, price: seat.price });
    expect(res.body.id).to.be.a('number');
    expect(res.body.expiresAt).to.equal(new Date(clock.now() + 300_000).toISOString());

    const events = await published(app, 'reservation.held', res.body.id);
    expect(events).to.deep.equal([
      {
        reservationId: res.body.id,
        userId: alice.id,
        concertId: schedule.concertId,
        scheduleId: schedule.scheduleId,
        seatId: seat.seatId,
        price: seat.price,
        expiresAt: res.body.expiresAt,
      },
    ]);
    const history = await app.http.get(`/ticketing/reservations/${res.body.id}/history`).set(alice.auth);
    expect(history.status).to.equal(200);
    expect(history.body.items).to.have.length(1);
    expect(history.body.items[0]).to.include({ type: 'HoldPlaced', version: 1 });
    expect(history.body.items[0].data).to.include({ userId: alice.id, seatId: seat.seatId, price: seat.price, expiresAt: res.body.expiresAt });
  });

  it('50 concurrent holds on one seat: exactly one 201, 49 × 409 SEAT_UNAVAILABLE', async () => {
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => signupAndLogin(app.http, `racer${i}`)));
    const seatId = schedule.seats[0].seatId;
    const results = await Promise.all(users.map((u) => hold(app, u, { scheduleId: schedule.scheduleId, seatId })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(created).to.have.length(1);
    expect(refused).to.have.length(49);
    for (const r of refused) expect(r.body.code).to.equal('SEAT_UNAVAILABLE');
    expect(await tableCount(app, 'reservations')).to.equal(1);
    expect(await tableCount(app, 'seat_claims')).to.equal(1);
    expect(await published(app, 'reservation.held')).to.have.length(1);
  });

  it('one user racing for many seats never goes over the hold limit', async () => {
    const results = await Promise.all(schedule.seats.map((s) => hold(app, alice, { scheduleId: schedule.scheduleId, seatId: s.seatId })));
    expect(results.filter((r) => r.status === 201)).to.have.length(2);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).to.have.length(schedule.seats.length - 2);
    for (const r of refused) expect(r.body).to.include({ status: 409, code: 'HOLD_LIMIT_REACHED' });
  });

  it('a cancelled hold no longer counts towards the limit and frees its seat at once', async () => {
    const first = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    expect((await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[2].seatId })).body.code).to.equal('HOLD_LIMIT_REACHED');

    const cancelled = await app.http.post(`/ticketing/reservations/${first.body.id}/cancel`).set(alice.auth);
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body).to.include({ id: first.body.id, status: 'CANCELLED' });
    expect(await published(app, 'reservation.cancelled', first.body.id)).to.deep.equal([
      {
        reservationId: first.body.id,
        userId: alice.id,
        scheduleId: schedule.scheduleId,
        seatId: schedule.seats[0].seatId,
        previousStatus: 'HELD',
        paymentId: null,
      },
    ]);

    const bob = await signupAndLogin(app.http, 'bob');
    expect((await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId })).status).to.equal(201);
    expect((await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[2].seatId })).status).to.equal(201);

    const again = await app.http.post(`/ticketing/reservations/${first.body.id}/cancel`).set(alice.auth);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('RESERVATION_NOT_CANCELLABLE');
    const history = await app.http.get(`/ticketing/reservations/${first.body.id}/history`).set(alice.auth);
    expect(history.body.items.map((e: { type: string; version: number }) => [e.type, e.version])).to.deep.equal([
      ['HoldPlaced', 1],
      ['HoldCancelled', 2],
    ]);
  });

  it('someone else’s reservation is 404 for reading, history and cancelling; lists show only one’s own, newest first', async () => {
    const a1 = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    const a2 = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[1].seatId });
    const bob = await signupAndLogin(app.http, 'bob');
    const b1 = await hold(app, bob, { scheduleId: schedule.scheduleId, seatId: schedule.seats[2].seatId });

    for (const path of [`/ticketing/reservations/${a1.body.id}`, `/ticketing/reservations/${a1.body.id}/history`]) {
      const res = await app.http.get(path).set(bob.auth);
      expect(res.status, path).to.equal(404);
      expect(res.body.code).to.equal('RESERVATION_NOT_FOUND');
    }
    const cancel = await app.http.post(`/ticketing/reservations/${a1.body.id}/cancel`).set(bob.auth);
    expect(cancel.status).to.equal(404);
    expect((await app.http.get(`/ticketing/reservations/${a1.body.id}`).set(alice.auth)).body.status).to.equal('HELD');
    expect((await app.http.get('/ticketing/reservations/999999').set(alice.auth)).status).to.equal(404);

    const own = await app.http.get(`/ticketing/reservations/${a1.body.id}`).set(alice.auth);
    expect(own.status).to.equal(200);
    expect(own.body).to.deep.equal(a1.body);

    const list = await app.http.get('/ticketing/reservations').set(alice.auth);
    expect(list.status).to.equal(200);
    expect(list.body.items.map((r: { id: number }) => r.id)).to.deep.equal([a2.body.id, a1.body.id]);
    const page = await app.http.get('/ticketing/reservations?limit=1').set(alice.auth);
    expect(page.body.items.map((r: { id: number }) => r.id)).to.deep.equal([a2.body.id]);
    const next = await app.http.get(`/ticketing/reservations?limit=1&before=${page.body.nextBefore}`).set(alice.auth);
    expect(next.body.items.map((r: { id: number }) => r.id)).to.deep.equal([a1.body.id]);
    expect(next.body.nextBefore).to.equal(null);
    const bobs = await app.http.get('/ticketing/reservations').set(bob.auth);
    expect(bobs.body.items.map((r: { id: number }) => r.id)).to.deep.equal([b1.body.id]);
  });

  it('refuses bad input with 400/404 problems and writes nothing', async () => {
    const seatId = schedule.seats[0].seatId;
    const bad: Array<[unknown, number, string]> = [
      [{}, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: schedule.scheduleId }, 400, 'VALIDATION_FAILED'],
      [{ seatId }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: String(schedule.scheduleId), seatId }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: schedule.scheduleId, seatId: -seatId }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: schedule.scheduleId, seatId: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: 0, seatId }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: schedule.scheduleId, seatId, price: 1 }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: schedule.scheduleId, seatId, userId: 1 }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: 424242, seatId }, 404, 'SCHEDULE_NOT_FOUND'],
      [{ scheduleId: schedule.scheduleId, seatId: 424242 }, 404, 'SEAT_NOT_FOUND'],
    ];
    for (const [body, status, code] of bad) {
      const res = await hold(app, alice, body);
      expect(res.status, JSON.stringify(body)).to.equal(status);
      expect(res.body.code, JSON.stringify(body)).to.equal(code);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    }
    const fieldErrors = (await hold(app, alice, { scheduleId: 'x', seatId: -1 })).body.errors.map((e: { field: string }) => e.field);
    expect(fieldErrors).to.have.members(['body.scheduleId', 'body.seatId']);

    // A seat of another schedule is not a seat of this one.
    const other = await publishSchedule(app, 1);
    const wrongSchedule = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: other.seats[0].seatId });
    expect(wrongSchedule.status).to.equal(404);
    const malformed = await app.http
      .post('/ticketing/reservations/new')
      .set(alice.auth)
      .set(queuePassFor(app.platform, alice.id))
      .set('Content-Type', 'application/json')
      .send('{"scheduleId": 1,');
    expect(malformed.status).to.equal(400);

    for (const path of ['/ticketing/reservations/abc', '/ticketing/reservations/-1', '/ticketing/reservations/0/history', '/ticketing/reservations/1.5']) {
      expect((await app.http.get(path).set(alice.auth)).status, path).to.equal(400);
    }
    expect((await app.http.post('/ticketing/reservations/abc/cancel').set(alice.auth)).status).to.equal(400);

    expect(await tableCount(app, 'reservations')).to.equal(0);
    expect(await tableCount(app, 'reservation_events')).to.equal(0);
    expect(await tableCount(app, 'seat_claims')).to.equal(0);
    expect(await published(app, 'reservation.held')).to.have.length(0);
  });

  it('checks authentication, then the queue pass, before the input', async () => {
    const noToken = await app.http.post('/ticketing/reservations/new').send({});
    expect(noToken.status).to.equal(401);
    const noPass = await app.http.post('/ticketing/reservations/new').set(alice.auth).send({});
    expect(noPass.status).to.equal(403);
    expect(noPass.body.code).to.equal('QUEUE_PASS_REQUIRED');
    const bob = await signupAndLogin(app.http, 'bob');
    const othersPass = await app.http
      .post('/ticketing/reservations/new')
      .set(alice.auth)
      .set(queuePassFor(app.platform, bob.id))
      .send({ scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    expect(othersPass.status).to.equal(403);
    expect(othersPass.body.code).to.equal('QUEUE_PASS_INVALID');
    // Reading one's reservations is not behind the waiting room.
    expect((await app.http.get('/ticketing/reservations').set(alice.auth)).status).to.equal(200);
    expect((await app.http.get('/ticketing/reservations')).status).to.equal(401);
    expect(await tableCount(app, 'reservations')).to.equal(0);
  });

  it('keeps its catalogue copy idempotently: a republished schedule updates prices and drops removed seats', async () => {
    const [first, second] = schedule.seats;
    const republished = { ...schedule, seats: [{ ...first, price: 99_000 }] };
    const publisher = app.platform.moduleNames.includes('concert') ? 'concert' : 'reservation';
    for (let i = 0; i < 2; i += 1) {
      await publishAs(app.platform, publisher, 'concert.schedule.published', schedule.scheduleId, {
        concertId: schedule.concertId,
        scheduleId: schedule.scheduleId,
        title: 'Renamed',
        artist: 'Test artist',
        venue: 'Test hall',
        startsAt: '2031-05-01T19:00:00.000Z',
        seats: republished.seats,
      });
    }
    const db = app.platform.database('reservation').knex;
    await eventually(
      async () =>
        (await db('catalogue_schedules').where({ schedule_id: schedule.scheduleId }).first())?.title === 'Renamed' &&
        (await db('catalogue_seats').where({ schedule_id: schedule.scheduleId })).length === 1,
      app.platform,
    );
    await app.platform.bus.drain();
    expect(await db('catalogue_schedules').count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    const held = await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: first.seatId });
    expect(held.body.price).to.equal(99_000);
    expect((await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: second.seatId })).status).to.equal(404);
  });

  it('reports the live holds gauge', async () => {
    await hold(app, alice, { scheduleId: schedule.scheduleId, seatId: schedule.seats[0].seatId });
    const metrics = await app.http.get('/metrics');
    expect(metrics.text).to.match(/^reservations_live_holds 1$/m);
    (app.clock as ManualClock).advance(300_000);
    expect((await app.http.get('/metrics')).text).to.match(/^reservations_live_holds 0$/m);
  });
});
