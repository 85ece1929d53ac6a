import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { systemClock } from '../../src/platform/clock/clock';
import { MODULE_NAMES } from '../../src/platform/config/config';
import { createTestApp, eventually, loginAdmin, queuePassFor, type TestApp } from '../support/test-app';
import { freshDatabaseUrl, onPostgres } from '../support/test-backend';
import { freshNamespace, natsUrl, requireBroker } from '../support/test-broker';

/** Two replicas of the whole system on one PostgreSQL system and one broker namespace. */
describe('replicas of a module on PostgreSQL: one leader relays, consumes and runs jobs', function () {
  this.timeout(60_000);
  let first: TestApp;
  let second: TestApp;
  let shared: Record<string, string>;
  before(async function () {
    requireBroker(this);
    // SQLite files have one process each: replicas need the PostgreSQL pass.
    if (!onPostgres) return this.skip();
    shared = { NATS_URL: natsUrl!, BUS_NAMESPACE: freshNamespace(), DATABASE_URL: freshDatabaseUrl(), BUS_SWEEP_INTERVAL_MS: '100' };
    first = await createTestApp({ clock: systemClock, env: shared });
    second = await createTestApp({ clock: systemClock, env: shared });
  });
  after(async () => {
    await second?.stop();
    await first?.stop();
  });

  const leaders = (app: TestApp) => MODULE_NAMES.filter((m) => app.platform.database(m).leadership.isLeader);

  async function purchaseThrough(app: TestApp): Promise<void> {
    const admin = await loginAdmin(app.http);
    const concert = await app.http
      .post('/admin/concerts')
      .set(admin.auth)
      .send({
        title: 'Replicas',
        artist: 'Two of Each',
        venue: 'Hall',
        schedules: [{ startsAt: '2031-01-01T19:00:00.000Z', seats: [{ label: 'A-1', price: 10_000 }] }],
      });
    expect(concert.status).to.equal(201);
    const email = `replica-${randomUUID()}@test.local`;
    const signup = await app.http.post('/auth/signup').send({ email, password: 'password-123', name: 'r' });
    const auth = { Authorization: `Bearer ${(await app.http.post('/auth/login').send({ email, password: 'password-123' })).body.accessToken}` };
    const pass = queuePassFor(app.platform, signup.body.id);
    const [schedule] = concert.body.schedules;
    let hold = await app.http.post('/ticketing/reservations/new').set(auth).set(pass).send({ scheduleId: schedule.id, seatId: schedule.seats[0].id });
    await eventually(
      async () => {
        if (hold.status !== 201)
          hold = await app.http.post('/ticketing/reservations/new').set(auth).set(pass).send({ scheduleId: schedule.id, seatId: schedule.seats[0].id });
        return hold.status === 201;
      },
      undefined,
      10_000,
    );
    await eventually(async () => (await app.http.post('/payments/charge').set(auth).send({ amount: 10_000 })).status === 200, undefined, 10_000);
    const pay = await app.http.post('/payments/process').set(auth).set(pass).send({ reservationId: hold.body.id });
    expect(pay.status, JSON.stringify(pay.body)).to.equal(200);
    await eventually(async () => (await app.http.get(`/ticketing/reservations/${hold.body.id}`).set(auth)).body.status === 'CONFIRMED', undefined, 10_000);
  }

  it('elects exactly one leader per module, and a purchase served by the other replica completes, each event relayed once', async () => {
    expect([...leaders(first), ...leaders(second)].sort()).to.deep.equal([...MODULE_NAMES].sort());
    expect(leaders(first)).to.deep.equal([...MODULE_NAMES]);
    await purchaseThrough(second);
    // Each outbox row was handed to the broker by one relay only: the two replicas' counts add up to the rows.
    for (const module of MODULE_NAMES) {
      const [rows] = await first.platform.database(module).knex('outbox').count({ n: '*' });
      const delivered = async (app: TestApp) => (await app.platform.bus.stats()).find((s) => s.module === module)!.delivered;
      await eventually(async () => (await delivered(first)) + (await delivered(second)) === Number(rows.n), undefined, 5000);
      expect(await delivered(second)).to.equal(0);
    }
  });

  it('lets a replica that never led stop at once (it was only waiting for its turn)', async () => {
    const follower = await createTestApp({ clock: systemClock, env: shared });
    expect(leaders(follower)).to.deep.equal([]);
    const started = Date.now();
    await follower.stop();
    expect(Date.now() - started).to.be.below(3000);
  });

  it('hands the lead to the other replica when the leader stops, which then relays what is new', async () => {
    await first.stop();
    await eventually(() => leaders(second).length === MODULE_NAMES.length, undefined, 10_000);
    await purchaseThrough(second);
  });
});
