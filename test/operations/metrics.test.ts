import { expect } from 'chai';
import { injectable } from 'inversify';
import { ManualClock } from '../../src/platform/clock/clock';
import { defineModule, on } from '../../src/platform/module/module-definition';
import { createTestApp, eventually, loginAdmin, queuePassFor, signupAndLogin, type TestApp } from '../support/test-app';
import { createAppWithProbe, type ProbeApp, parsePrometheus, sampleValue, scrape } from './ops-kit';

const BUS_SERIES = ['outbox_backlog_events', 'outbox_oldest_undelivered_age_seconds', 'bus_deliveries_retrying', 'bus_dead_letters'];

describe('GET /metrics', () => {
  describe('on the real app', () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp();
    });
    after(() => app.stop());

    it('is Prometheus text with HTTP, bus and process series', async () => {
      await app.http.get('/health/live').expect(200);
      const res = await app.http.get('/metrics');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.text).to.include('# TYPE http_request_duration_seconds histogram');
      const samples = parsePrometheus(res.text);
      for (const module of app.platform.moduleNames) {
        for (const name of BUS_SERIES) expect(sampleValue(samples, name, { module }), `${name}{module="${module}"}`).to.be.a('number');
      }
      expect(sampleValue(samples, 'process_cpu_user_seconds_total')).to.be.a('number');
      expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).to.be.greaterThan(0);
      expect(sampleValue(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status: '200' })).to.be.greaterThan(0);
    });

    it('counts each request under its route template and status', async () => {
      const user = await signupAndLogin(app.http);
      const count = async (labels: Record<string, string>) => sampleValue(await scrape(app.http), 'http_request_duration_seconds_count', labels) ?? 0;
      const ok = { method: 'GET', route: '/auth/me', status: '200' };
      const denied = { method: 'GET', route: '/auth/me', status: '401' };
      const [okBefore, deniedBefore] = [await count(ok), await count(denied)];
      for (let i = 0; i < 3; i += 1) await app.http.get('/auth/me').set(user.auth).expect(200);
      await app.http.get('/auth/me').expect(401);
      await eventually(async () => (await count(ok)) === okBefore + 3 && (await count(denied)) === deniedBefore + 1);

      // A route with a parameter is labelled by its template, never by the raw path.
      await app.http
        .post('/admin/events/dead/auth:987654/retry')
        .set((await loginAdmin(app.http)).auth)
        .expect(404);
      await eventually(async () => (await count({ method: 'POST', route: '/admin/events/dead/:id/retry', status: '404' })) >= 1);
      // Unknown paths share one label, so scanners cannot blow up the series count.
      await app.http.get('/no/such/path/12345').expect(404);
      await eventually(async () => (await count({ method: 'GET', route: 'unmatched', status: '404' })) >= 1);
      const text = (await app.http.get('/metrics')).text;
      expect(text).to.not.include('987654');
      expect(text).to.not.include('/no/such/path');
    });
  });

  describe('module gauges', () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp();
    });
    after(() => app.stop());

    it('are exposed: waiting room, holds, seat map, payment gateway breaker, data platform', async () => {
      const text = (await app.http.get('/metrics')).text;
      for (const [name, type] of MODULE_SERIES) expect(text, name).to.include(`# TYPE ${name} ${type}`);
      const samples = parsePrometheus(text);
      expect(sampleValue(samples, 'payment_gateway_breaker_state')).to.equal(0);
      for (const status of ['AVAILABLE', 'HELD', 'SOLD']) expect(sampleValue(samples, 'seats_by_status', { status }), status).to.be.a('number');
    });

    it('move when the matching action happens: a queue token, a hold', async () => {
      const admin = await loginAdmin(app.http);
      const concert = await app.http
        .post('/admin/concerts')
        .set(admin.auth)
        .send({
          title: 'Gauge Night',
          artist: 'The Meters',
          venue: 'Hall',
          schedules: [
            {
              startsAt: '2030-06-01T19:00:00+09:00',
              seats: [
                { label: 'A-1', price: 1000 },
                { label: 'A-2', price: 1000 },
              ],
            },
          ],
        })
        .expect(201);
      const schedule = concert.body.schedules[0];
      const user = await signupAndLogin(app.http);
      const value = async (name: string, labels: Record<string, string> = {}) => sampleValue(await scrape(app.http), name, labels) ?? 0;

      const tokensBefore = (await value('queue_waiting_tokens')) + (await value('queue_active_tokens'));
      await app.http.post('/queue/token').set(user.auth).expect(201);
      expect((await value('queue_waiting_tokens')) + (await value('queue_active_tokens'))).to.equal(tokensBefore + 1);

      const [holdsBefore, heldBefore] = [await value('reservations_live_holds'), await value('seats_by_status', { status: 'HELD' })];
      // The reservation module learns the schedule through an event: wait for it, not for a time.
      let hold: { status: number } = { status: 0 };
      await eventually(async () => {
        hold = await app.http
          .post('/ticketing/reservations/new')
          .set(user.auth)
          .set(queuePassFor(app.platform, user.id))
          .send({ scheduleId: schedule.id, seatId: schedule.seats[0].id });
        return hold.status !== 404;
      }, app.platform);
      expect(hold.status).to.equal(201);
      expect(await value('reservations_live_holds')).to.equal(holdsBefore + 1);
      await eventually(async () => (await value('seats_by_status', { status: 'HELD' })) === heldBefore + 1, app.platform);

      // An orchestrated confirmation moves the saga outcome series.
      const completedBefore = await value('confirm_sagas', { status: 'COMPLETED' });
      await app.http.post('/payments/charge').set(user.auth).send({ amount: 1000 }).expect(200);
      const confirm = await app.http
        .post('/ticketing/reservations/confirm')
        .set(user.auth)
        .set(queuePassFor(app.platform, user.id))
        .send({ reservationId: (hold as { body?: { id: number } }).body!.id });
      expect(confirm.status, JSON.stringify(confirm.body)).to.be.oneOf([200, 202]);
      await eventually(async () => (await value('confirm_sagas', { status: 'COMPLETED' })) === completedBefore + 1, app.platform);
    });
  });

  it('outbox backlog and its age move while the relay is stopped, and drain when it runs', async () => {
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const app = await createTestApp({ start: false, clock });
    try {
      const backlog = async () => sampleValue(await scrape(app.http), 'outbox_backlog_events', { module: 'auth' });
      const age = async () => sampleValue(await scrape(app.http), 'outbox_oldest_undelivered_age_seconds', { module: 'auth' });
      const before = (await backlog())!;
      await app.http.post('/auth/signup').send({ email: 'backlog@test.local', password: 'password-123', name: 'Backlog' }).expect(201);
      expect(await backlog()).to.equal(before + 1);
      clock.advance(42_000);
      expect(await age()).to.be.at.least(42);
      app.platform.start();
      await eventually(async () => (await backlog()) === 0 && (await age()) === 0, app.platform);
    } finally {
      await app.stop();
    }
  });

  describe('dead letters', () => {
    let app: ProbeApp;
    const probe = { fail: true, handled: 0 };
    before(async () => {
      // A test-only subscriber in place of the data-platform module, failing on purpose.
      @injectable()
      class FailingProbe {
        static readonly subscription = on('auth.user.registered', 'metrics-probe');
        async handle(): Promise<void> {
          if (probe.fail) throw new Error('probe refuses this event');
          probe.handled += 1;
        }
      }
      const probeModule = defineModule({ name: 'data-platform', handlers: [FailingProbe] });
      app = await createAppWithProbe(probeModule, { env: { BUS_MAX_ATTEMPTS: '1' } });
    });
    after(() => app.stop());

    it('a failing subscriber raises bus_dead_letters; replaying it lowers it again', async () => {
      const dead = async () => sampleValue(await scrape(app.http), 'bus_dead_letters', { module: 'data-platform' });
      await app.platform.bus.drain();
      // The admin ensured at start-up was registered too, and the probe refused that event as well.
      const before = (await dead())!;
      const signup = await app.http.post('/auth/signup').send({ email: 'dead-letter@test.local', password: 'password-123', name: 'Dead' }).expect(201);
      await eventually(async () => (await dead()) === before + 1, app.platform);
      expect(sampleValue(await scrape(app.http), 'bus_dead_letters', { module: 'auth' })).to.equal(0);

      // The operator's path (docs/operations.md): list, fix the cause, replay.
      const admin = await loginAdmin(app.http);
      const list = await app.http.get('/admin/events/dead').set(admin.auth).expect(200);
      const letter = list.body.items.find(
        (d: { subscriber: string; event: { payload: { userId: number } } }) =>
          d.subscriber === 'data-platform.metrics-probe' && d.event.payload.userId === signup.body.id,
      );
      expect(letter.error).to.include('probe refuses this event');
      probe.fail = false;
      await app.http.post(`/admin/events/dead/${letter.id}/retry`).set(admin.auth).expect(202);
      await eventually(async () => (await dead()) === before, app.platform);
      expect(probe.handled).to.equal(1);
      await app.http.post(`/admin/events/dead/${letter.id}/retry`).set(admin.auth).expect(404);
    });
  });
});

/** Series the modules register (found in src/modules when this was written), with their type. */
const MODULE_SERIES: Array<[string, 'gauge' | 'counter']> = [
  ['queue_waiting_tokens', 'gauge'],
  ['queue_active_tokens', 'gauge'],
  ['reservations_live_holds', 'gauge'],
  ['reservation_change_waits', 'gauge'],
  ['confirm_sagas', 'gauge'],
  ['seats_by_status', 'gauge'],
  ['payment_gateway_breaker_state', 'gauge'],
  ['data_platform_records', 'gauge'],
  ['data_platform_sink_circuit_open', 'gauge'],
  ['data_platform_sink_posts_total', 'counter'],
];
