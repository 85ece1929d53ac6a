import { expect } from 'chai';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, loginAdmin, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { hold } from './reservation-kit';

describe('reservation → seat map, through events only', () => {
  let app: TestApp;
  let clock: ManualClock;
  let user: TestUser;
  let scheduleId: number;
  let seatIds: number[];

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { HOLD_TTL_SECONDS: '60' } });
    const admin = await loginAdmin(app.http);
    const created = await app.http
      .post('/admin/concerts')
      .set(admin.auth)
      .send({
        title: 'Map test',
        artist: 'Band',
        venue: 'Hall',
        schedules: [{ startsAt: '2031-06-01T19:00:00Z', seats: [1, 2, 3].map((n) => ({ label: `R${n}`, price: 30_000 })) }],
      });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    scheduleId = created.body.schedules[0].id;
    seatIds = created.body.schedules[0].seats.map((s: { id: number }) => s.id);
    user = await signupAndLogin(app.http);
    // The reservation module knows the schedule from the concert module's event, not from its tables.
    await eventually(
      async () => Boolean(await app.platform.database('reservation').knex('catalogue_seats').where({ schedule_id: scheduleId }).first()),
      app.platform,
    );
  });
  afterEach(() => app.stop());

  const seatStatus = async (seatId: number) => {
    const res = await app.http.get(`/ticketing/search/schedules/${scheduleId}/seats`).set(user.auth).set(queuePassFor(app.platform, user.id));
    return res.body.items.find((s: { id: number }) => s.id === seatId).status;
  };

  it('HELD on a hold, still HELD through its payment grace, AVAILABLE again once the grace is over and the sweeper has run', async () => {
    const res = await hold(app, user, { scheduleId, seatId: seatIds[0] });
    expect(res.status).to.equal(201);
    expect(res.body.price).to.equal(30_000);
    await eventually(async () => (await seatStatus(seatIds[0])) === 'HELD', app.platform);
    clock.advance(60_000);
    // Its time is up, but its payment grace (HOLD_PAYMENT_GRACE_SECONDS, default 60) keeps the seat.
    await app.platform.runJob('reservation', 'expire-holds');
    await app.platform.bus.drain();
    expect(await seatStatus(seatIds[0])).to.equal('HELD');
    clock.advance(60_000);
    await app.platform.runJob('reservation', 'expire-holds');
    await eventually(async () => (await seatStatus(seatIds[0])) === 'AVAILABLE', app.platform);
  });

  it('SOLD once a payment confirms the hold', async () => {
    const res = await hold(app, user, { scheduleId, seatId: seatIds[1] });
    expect((await app.http.post('/payments/charge').set(user.auth).send({ amount: 30_000 })).status).to.equal(200);
    const paid = await app.http.post('/payments/process').set(user.auth).set(queuePassFor(app.platform, user.id)).send({ reservationId: res.body.id });
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    await eventually(async () => (await seatStatus(seatIds[1])) === 'SOLD', app.platform);
    clock.advance(120_000);
    await app.platform.runJob('reservation', 'expire-holds');
    await app.platform.bus.drain();
    expect(await seatStatus(seatIds[1])).to.equal('SOLD');
  });
});
