import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, loginAdmin, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import {
  assertCountersMatchSeats,
  type CreatedConcert,
  catalogueCounts,
  concertBody,
  createConcert,
  handledByConcert,
  publishReservationEvent,
  seats,
} from './concert-fixtures';

describe('seat map projection (fed by reservation events only)', () => {
  let app: TestApp;
  let admin: TestUser;
  let user: TestUser;
  let concert: CreatedConcert;
  let schedule: CreatedConcert['schedules'][number];
  beforeEach(async () => {
    app = await createTestApp();
    admin = await loginAdmin(app.http);
    user = await signupAndLogin(app.http);
    concert = await createConcert(
      app,
      admin,
      concertBody({
        schedules: [
          { startsAt: '2030-05-01T19:00:00Z', seats: seats(10) },
          { startsAt: '2030-05-02T19:00:00Z', seats: seats(10) },
        ],
      }),
    );
    schedule = concert.schedules[0];
  });
  afterEach(async () => {
    await assertCountersMatchSeats(app);
    await app.stop();
  });

  let nextReservationId = 1000;
  const reservation = (seatIndex: number, target = () => schedule) => {
    nextReservationId += 1;
    const s = target();
    return { reservationId: nextReservationId, userId: user.id, scheduleId: s.id, seatId: s.seats[seatIndex].id };
  };
  const held = (r: ReturnType<typeof reservation>) =>
    publishReservationEvent(app, 'reservation.held', { ...r, price: 88_000, expiresAt: new Date(app.clock.now() + 300_000).toISOString() });
  const expired = (r: ReturnType<typeof reservation>) => publishReservationEvent(app, 'reservation.expired', r);
  const cancelled = (r: ReturnType<typeof reservation>, previousStatus: 'HELD' | 'CONFIRMED') =>
    publishReservationEvent(app, 'reservation.cancelled', { ...r, previousStatus, paymentId: previousStatus === 'CONFIRMED' ? 77 : null });
  const success = (r: ReturnType<typeof reservation>) =>
    publishReservationEvent(app, 'reservation.success', {
      ...r,
      concertId: concert.id,
      seatLabel: 'A-1',
      price: 88_000,
      paymentId: 77,
      confirmedAt: new Date(app.clock.now()).toISOString(),
    });

  const seatMap = async (scheduleId = schedule.id): Promise<Array<{ id: number; status: string }>> => {
    const res = await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(user.auth).set(queuePassFor(app.platform, user.id));
    expect(res.status).to.equal(200);
    return res.body.items;
  };
  const statusOf = async (seatIndex: number) => (await seatMap()).find((s) => s.id === schedule.seats[seatIndex].id)!.status;
  const availableSeats = async (): Promise<number> => {
    const res = await app.http.get(`/ticketing/search/concerts/${concert.id}/schedules`).set(user.auth).set(queuePassFor(app.platform, user.id));
    return res.body.items.find((s: { id: number }) => s.id === schedule.id).availableSeats;
  };
  const converges = (seatIndex: number, status: string) => eventually(async () => (await statusOf(seatIndex)) === status, app.platform);

  it('shows a hold as HELD, then AVAILABLE again once it expires', async () => {
    const r = reservation(0);
    await held(r);
    await converges(0, 'HELD');
    expect(await availableSeats()).to.equal(9);
    expect((await seatMap()).filter((s) => s.status !== 'AVAILABLE')).to.have.length(1);

    await expired(r);
    await converges(0, 'AVAILABLE');
    expect(await availableSeats()).to.equal(10);
  });

  it('shows an admin the same schedules and seat map without a queue pass, and refuses anyone else', async () => {
    const r = reservation(3);
    await held(r);
    await converges(3, 'HELD');
    const seatsForAdmin = await app.http.get(`/admin/schedules/${schedule.id}/seats`).set(admin.auth);
    expect(seatsForAdmin.status).to.equal(200);
    expect(seatsForAdmin.body.items).to.deep.equal(await seatMap());
    const schedulesForAdmin = await app.http.get(`/admin/concerts/${concert.id}/schedules`).set(admin.auth);
    expect(schedulesForAdmin.status).to.equal(200);
    expect(schedulesForAdmin.body.items.find((s: { id: number }) => s.id === schedule.id).availableSeats).to.equal(9);
    // A buyer, even with a queue pass, may not use the operator's routes; an unknown id is a 404.
    for (const path of [`/admin/schedules/${schedule.id}/seats`, `/admin/concerts/${concert.id}/schedules`]) {
      expect((await app.http.get(path).set(user.auth).set(queuePassFor(app.platform, user.id))).status).to.equal(403);
      expect((await app.http.get(path)).status).to.equal(401);
    }
    expect((await app.http.get('/admin/schedules/999999/seats').set(admin.auth)).status).to.equal(404);
    expect((await app.http.get('/admin/concerts/999999/schedules').set(admin.auth)).status).to.equal(404);
  });

  it('frees a seat when its hold is cancelled', async () => {
    const r = reservation(1);
    await held(r);
    await converges(1, 'HELD');
    await cancelled(r, 'HELD');
    await converges(1, 'AVAILABLE');
    expect(await availableSeats()).to.equal(10);
  });

  it('moves HELD to SOLD on success; a later expiry never un-sells it; cancelling the sold reservation frees it', async () => {
    const r = reservation(2);
    await held(r);
    await converges(2, 'HELD');
    await success(r);
    await converges(2, 'SOLD');
    expect(await availableSeats()).to.equal(9);

    // An expiry (say from a sweeper that lost a race) of the sold reservation changes nothing.
    await handledByConcert(app, await expired(r));
    expect(await statusOf(2)).to.equal('SOLD');
    // Nor does another reservation's freeing event for the seat.
    const stranger = { ...reservation(2), reservationId: r.reservationId + 500 };
    await handledByConcert(app, await expired(stranger));
    await handledByConcert(app, await cancelled(stranger, 'HELD'));
    expect(await statusOf(2)).to.equal('SOLD');
    expect(await availableSeats()).to.equal(9);

    // Cancelling the confirmed reservation (with its refund) releases the seat.
    await cancelled(r, 'CONFIRMED');
    await converges(2, 'AVAILABLE');
    expect(await availableSeats()).to.equal(10);
  });

  it('keeps a seat HELD when the expiry of an older reservation arrives after a newer hold of the same seat', async () => {
    const old = reservation(3);
    await held(old);
    await converges(3, 'HELD');
    // The old hold expired and someone else took the seat, but the events arrive the other way round.
    const fresh = reservation(3);
    await handledByConcert(app, await held(fresh));
    await handledByConcert(app, await expired(old));
    expect(await statusOf(3)).to.equal('HELD');
    expect(await availableSeats()).to.equal(9);
    const claimedBy = (await app.platform.database('concert').knex('seats').where({ id: schedule.seats[3].id }).first('claimed_by')).claimed_by;
    expect(claimedBy).to.equal(fresh.reservationId);

    await expired(fresh);
    await converges(3, 'AVAILABLE');
    expect(await availableSeats()).to.equal(10);
  });

  it('ignores a hold that arrives after its own reservation ended', async () => {
    const r = reservation(4);
    // Expired handled first (e.g. the held delivery was retried later): the late hold must not resurrect it.
    await handledByConcert(app, await expired(r));
    await handledByConcert(app, await held(r));
    expect(await statusOf(4)).to.equal('AVAILABLE');
    expect(await availableSeats()).to.equal(10);
  });

  it('gives a redelivered event no second effect on the seat or availableSeats', async () => {
    const a = reservation(5);
    const b = reservation(6);
    await held(a);
    await held(b);
    await converges(5, 'HELD');
    await converges(6, 'HELD');
    expect(await availableSeats()).to.equal(8);
    const expiryId = await expired(a);
    await handledByConcert(app, expiryId);
    expect(await availableSeats()).to.equal(9);

    // The same event (same id) handed over again by the relay: the inbox skips it.
    const reservationDb = app.platform.database('reservation').knex;
    await reservationDb('outbox').where({ event_id: expiryId }).update({ dispatched_at_ms: null });
    await eventually(
      async () => (await reservationDb('outbox').where({ event_id: expiryId }).first('dispatched_at_ms')).dispatched_at_ms !== null,
      app.platform,
    );
    // The same facts again under new event ids (a publisher that retried): the claim makes them no-ops.
    await handledByConcert(app, await expired(a));
    await handledByConcert(app, await held(b));
    await handledByConcert(app, await held(a));

    expect(await availableSeats()).to.equal(9);
    expect(await statusOf(5)).to.equal('AVAILABLE');
    expect(await statusOf(6)).to.equal('HELD');
  });

  it('keeps the schedules apart: a hold in one schedule leaves the other untouched', async () => {
    const other = concert.schedules[1];
    const r = reservation(0, () => other);
    await handledByConcert(app, await held(r));
    expect((await seatMap(other.id)).find((s) => s.id === other.seats[0].id)!.status).to.equal('HELD');
    expect((await seatMap()).every((s) => s.status === 'AVAILABLE')).to.equal(true);
    expect(await availableSeats()).to.equal(10);
  });

  it('ignores events naming a seat it does not have, or a seat of another schedule, without dead letters', async () => {
    const before = await catalogueCounts(app);
    const unknownSeat = { ...reservation(0), seatId: 999_999 };
    await handledByConcert(app, await held(unknownSeat));
    const wrongSchedule = { ...reservation(0), scheduleId: concert.schedules[1].id };
    await handledByConcert(app, await held(wrongSchedule));
    expect(await catalogueCounts(app)).to.deep.equal(before);
    expect((await seatMap()).every((s) => s.status === 'AVAILABLE')).to.equal(true);
    expect(await app.platform.bus.deadLetters()).to.deep.equal([]);
  });

  it('purges released claims after 30 days and keeps live ones', async () => {
    const done = reservation(7);
    const live = reservation(8);
    await held(done);
    await held(live);
    await handledByConcert(app, await expired(done));
    await converges(8, 'HELD');
    const claims = () => app.platform.database('concert').knex('seat_map_claims').orderBy('reservation_id').pluck('reservation_id');
    await app.platform.runJob('concert', 'purge-released-seat-claims');
    expect(await claims()).to.deep.equal([done.reservationId, live.reservationId]);

    (app.clock as ManualClock).advance(31 * 24 * 3600 * 1000);
    await app.platform.runJob('concert', 'purge-released-seat-claims');
    expect(await claims()).to.deep.equal([live.reservationId]);
    user = await signupAndLogin(app.http); // the first login expired with the jump in time
    expect(await statusOf(8)).to.equal('HELD');
    expect(await statusOf(7)).to.equal('AVAILABLE');
  });

  it('converges under a burst of events for many seats and reports seats_by_status in /metrics', async () => {
    const holds = Array.from({ length: 10 }, (_, i) => reservation(i));
    await Promise.all(holds.map((r) => held(r)));
    await eventually(async () => (await seatMap()).every((s) => s.status === 'HELD'), app.platform);
    await Promise.all([...holds.slice(0, 3).map((r) => success(r)), ...holds.slice(3, 6).map((r) => expired(r))]);
    await eventually(async () => {
      const map = await seatMap();
      return map.filter((s) => s.status === 'SOLD').length === 3 && map.filter((s) => s.status === 'AVAILABLE').length === 3;
    }, app.platform);
    expect(await availableSeats()).to.equal(3);
    await assertCountersMatchSeats(app);

    const metrics = await app.http.get('/metrics');
    expect(metrics.status).to.equal(200);
    // 20 seats over two schedules: the second schedule's 10 are all available.
    expect(metrics.text).to.match(/^seats_by_status\{status="AVAILABLE"\} 13$/m);
    expect(metrics.text).to.match(/^seats_by_status\{status="HELD"\} 4$/m);
    expect(metrics.text).to.match(/^seats_by_status\{status="SOLD"\} 3$/m);
  });
});
