import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, loginAdmin, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import {
  allRecords,
  type ConfirmedInput,
  confirmedPayload,
  DATA_PLATFORM_TEST_MODULES,
  feed,
  publishCancelled,
  publishConfirmed,
  publishSchedule,
} from './data-platform.helpers';

describe('data platform: the confirmed-reservation feed', () => {
  let app: TestApp;
  let admin: TestUser;

  beforeEach(async () => {
    app = await createTestApp({ env: { MODULES: DATA_PLATFORM_TEST_MODULES } });
    admin = await loginAdmin(app.http);
  });

  afterEach(() => app.stop());

  const count = async () => (await feed(app.http, admin.auth, { status: 'ALL' })).total;

  it('stores a confirmed reservation with the catalogue facts it needs', async () => {
    await publishSchedule(app.platform, { concertId: 3, scheduleId: 30, title: 'Spring Gala', startsAt: '2030-05-01T19:00:00.000Z' });
    await eventually(async () => (await app.platform.database('data-platform').knex('dp_schedules').where({ schedule_id: 30 })).length === 1, app.platform);
    const receivedAt = app.clock.now();
    await publishConfirmed(app.platform, {
      reservationId: 41,
      userId: 9,
      concertId: 3,
      scheduleId: 30,
      seatId: 301,
      seatLabel: 'B-7',
      price: 77_000,
      paymentId: 88,
      confirmedAt: '2030-03-02T12:00:00.000Z',
    });
    await eventually(async () => (await count()) === 1, app.platform);

    const page = await feed(app.http, admin.auth);
    expect(page.items).to.deep.equal([
      {
        reservationId: 41,
        userId: 9,
        concertId: 3,
        concertTitle: 'Spring Gala',
        scheduleId: 30,
        startsAt: '2030-05-01T19:00:00.000Z',
        seatId: 301,
        seatLabel: 'B-7',
        amount: 77_000,
        paymentId: 88,
        confirmedAt: '2030-03-02T12:00:00.000Z',
        receivedAt: new Date(receivedAt).toISOString(),
        status: 'CONFIRMED',
        cancelledAt: null,
        // No DATA_PLATFORM_URL in this app: nothing is to be delivered.
        delivery: 'DISABLED',
        deliveryAttempts: 0,
        deliveredAt: null,
        nextDeliveryAttemptAt: null,
        lastDeliveryError: null,
      },
    ]);
    expect(page).to.include({ page: 1, pageSize: 50, total: 1 });
    expect(page.summary).to.deep.equal({ count: 1, revenue: 77_000 });
  });

  it('stores a redelivered reservation.success (the same envelope twice) once', async () => {
    const [event] = await publishConfirmed(app.platform, { reservationId: 1, price: 30_000 });
    await eventually(async () => (await count()) === 1, app.platform);
    const before = await allRecords(app.http, admin.auth);

    // Hand the very same outbox row (same event id) to the transport again.
    const deliveredBefore = (await app.platform.bus.stats()).find((s) => s.module === 'reservation')!.delivered;
    const reset = await app.platform.database('reservation').knex('outbox').where({ event_id: event.id }).update({ dispatched_at_ms: null });
    expect(reset).to.equal(1);
    (app.clock as ManualClock).advance(1000);
    await eventually(async () => (await app.platform.bus.stats()).find((s) => s.module === 'reservation')!.delivered === deliveredBefore + 1, app.platform);
    await app.platform.bus.drain();

    const after = await allRecords(app.http, admin.auth);
    expect([...after.keys()]).to.deep.equal([1]);
    expect(after.get(1)).to.deep.equal(before.get(1));
    const inboxRows = await app.platform
      .database('data-platform')
      .knex('inbox')
      .where({ event_id: event.id, subscriber: 'data-platform.store-confirmed-reservation' });
    expect(inboxRows).to.have.length(1);
    expect(inboxRows[0].status).to.equal('DONE');
  });

  it('stores a reservation once even when it is confirmed again under another event id', async () => {
    await publishConfirmed(app.platform, { reservationId: 2, price: 30_000 });
    await eventually(async () => (await count()) === 1, app.platform);
    await publishConfirmed(app.platform, { reservationId: 2, price: 99_000 }, { reservationId: 3, price: 10_000 });
    await eventually(async () => (await count()) === 2, app.platform);
    await app.platform.bus.drain();

    const page = await feed(app.http, admin.auth);
    expect(page.items.map((i) => [i.reservationId, i.amount])).to.deep.equal([
      [2, 30_000],
      [3, 10_000],
    ]);
    expect(page.summary).to.deep.equal({ count: 2, revenue: 40_000 });
    // The second confirmation was handled (as a no-op), not left failing and retrying.
    const inbox = await app.platform
      .database('data-platform')
      .knex('inbox')
      .where({ subscriber: 'data-platform.store-confirmed-reservation' })
      .select('status', 'attempts');
    expect(inbox).to.deep.equal([
      { status: 'DONE', attempts: 1 },
      { status: 'DONE', attempts: 1 },
      { status: 'DONE', attempts: 1 },
    ]);
  });

  it('is for admins only: 401 without a token, 403 for a user', async () => {
    const user = await signupAndLogin(app.http);
    const anonymous = await app.http.get('/data-platform/reservations');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body.code).to.equal('UNAUTHORIZED');
    const forbidden = await app.http.get('/data-platform/reservations').set(user.auth);
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body.code).to.equal('FORBIDDEN');
    // Role comes before input: a bad filter from a user is still 403.
    expect((await app.http.get('/data-platform/reservations?pageSize=0').set(user.auth)).status).to.equal(403);
    expect((await app.http.get('/data-platform/reservations').set(admin.auth)).status).to.equal(200);
  });

  describe('filters, pages and the summary', () => {
    // 24 records over two concerts and three schedules, one confirmed every 30 minutes from 00:00.
    const start = Date.parse('2030-04-01T00:00:00.000Z');
    const inputs: ConfirmedInput[] = Array.from({ length: 24 }, (_, i) => {
      const scheduleId = [10, 11, 20][i % 3];
      return {
        reservationId: 100 + i,
        concertId: scheduleId < 20 ? 1 : 2,
        scheduleId,
        price: 10_000 + ((i * 7919) % 50) * 1000,
        confirmedAt: new Date(start + i * 30 * 60_000).toISOString(),
      };
    });
    const expected = inputs.map(confirmedPayload);

    beforeEach(async () => {
      // Published in a shuffled order: the feed is ordered by confirmedAt, not by arrival.
      const shuffled = [...inputs].sort((a, b) => ((a.reservationId * 37) % 24) - ((b.reservationId * 37) % 24));
      await publishConfirmed(app.platform, ...shuffled);
      await eventually(async () => (await count()) === inputs.length, app.platform);
    });

    async function checkFilter(query: Record<string, string | number>, match: (p: (typeof expected)[number]) => boolean): Promise<void> {
      const want = expected.filter(match).sort((a, b) => a.confirmedAt.localeCompare(b.confirmedAt));
      const wantRevenue = want.reduce((sum, p) => sum + p.price, 0);
      const pageSize = 5;
      const seen: number[] = [];
      const pages = Math.max(1, Math.ceil(want.length / pageSize));
      for (let page = 1; page <= pages + 1; page += 1) {
        const body = await feed(app.http, admin.auth, { ...query, page, pageSize });
        // The summary covers the whole filtered set on every page, not the page.
        expect(body.total, JSON.stringify(query)).to.equal(want.length);
        expect(body.summary, JSON.stringify(query)).to.deep.equal({ count: want.length, revenue: wantRevenue });
        expect(body.page).to.equal(page);
        expect(body.pageSize).to.equal(pageSize);
        expect(body.items.length).to.equal(page <= pages ? Math.min(pageSize, want.length - (page - 1) * pageSize) : 0);
        seen.push(...body.items.map((i) => i.reservationId));
      }
      expect(seen, JSON.stringify(query)).to.deep.equal(want.map((p) => p.reservationId));
    }

    it('pages through everything, oldest confirmation first, with the summary of the whole set', async () => {
      const first = await feed(app.http, admin.auth);
      expect(first.pageSize).to.equal(50);
      expect(first.items).to.have.length(24);
      await checkFilter({}, () => true);
    });

    it('filters by concert and by schedule', async () => {
      await checkFilter({ concertId: 1 }, (p) => p.concertId === 1);
      await checkFilter({ concertId: 2 }, (p) => p.concertId === 2);
      await checkFilter({ scheduleId: 11 }, (p) => p.scheduleId === 11);
      await checkFilter({ concertId: 1, scheduleId: 20 }, () => false);
      await checkFilter({ concertId: 999 }, () => false);
    });

    it('filters by a time range on confirmedAt: from inclusive, to exclusive', async () => {
      const from = '2030-04-01T02:00:00.000Z';
      const to = '2030-04-01T05:00:00.000Z';
      await checkFilter({ from, to }, (p) => p.confirmedAt >= from && p.confirmedAt < to);
      await checkFilter({ from }, (p) => p.confirmedAt >= from);
      await checkFilter({ to }, (p) => p.confirmedAt < to);
      // The same instant written with an offset.
      await checkFilter({ from: '2030-04-01T11:00:00+09:00', scheduleId: 10 }, (p) => p.confirmedAt >= from && p.scheduleId === 10);
      // Adjacent ranges split the set without overlap.
      const a = await feed(app.http, admin.auth, { to: from });
      const b = await feed(app.http, admin.auth, { from });
      expect(a.summary.count + b.summary.count).to.equal(24);
      expect(a.summary.revenue + b.summary.revenue).to.equal(expected.reduce((s, p) => s + p.price, 0));
    });

    it('caps pageSize at 500 and refuses bad filters with 400 VALIDATION_FAILED', async () => {
      expect((await feed(app.http, admin.auth, { pageSize: 500 })).items).to.have.length(24);
      const bad: Array<[string, string]> = [
        ['pageSize=0', 'query.pageSize'],
        ['pageSize=501', 'query.pageSize'],
        ['page=0', 'query.page'],
        ['page=1.5', 'query.page'],
        ['concertId=abc', 'query.concertId'],
        ['concertId=-1', 'query.concertId'],
        ['scheduleId=', 'query.scheduleId'],
        ['from=yesterday', 'query.from'],
        ['to=2030-04-01', 'query.to'],
        ['from=2030-04-01T05:00:00Z&to=2030-04-01T05:00:00Z', 'query.to'],
        ['from=2030-04-02T00:00:00Z&to=2030-04-01T00:00:00Z', 'query.to'],
        ['status=PAID', 'query.status'],
        ['delivery=LOST', 'query.delivery'],
        ['concertId=1&concertId=2', 'query.concertId'],
        ['concert=1', 'query'],
      ];
      for (const [query, field] of bad) {
        const res = await app.http.get(`/data-platform/reservations?${query}`).set(admin.auth);
        expect(res.status, query).to.equal(400);
        expect(res.body.code, query).to.equal('VALIDATION_FAILED');
        expect(res.headers['content-type'], query).to.match(/application\/problem\+json/);
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          query,
        ).to.include(field);
      }
    });
  });

  describe('cancellations', () => {
    it('keeps a cancelled confirmed reservation in the feed as CANCELLED, out of the revenue', async () => {
      await publishConfirmed(app.platform, { reservationId: 1, price: 10_000 }, { reservationId: 2, price: 20_000 }, { reservationId: 3, price: 40_000 });
      await eventually(async () => (await count()) === 3, app.platform);
      const cancelledAt = app.clock.now();
      await publishCancelled(app.platform, 2, 'CONFIRMED');
      await eventually(async () => (await allRecords(app.http, admin.auth)).get(2)?.status === 'CANCELLED', app.platform);

      const confirmed = await feed(app.http, admin.auth);
      expect(confirmed.items.map((i) => i.reservationId)).to.deep.equal([1, 3]);
      expect(confirmed.summary).to.deep.equal({ count: 2, revenue: 50_000 });

      const cancelled = await feed(app.http, admin.auth, { status: 'CANCELLED' });
      expect(cancelled.items.map((i) => [i.reservationId, i.status, i.cancelledAt])).to.deep.equal([[2, 'CANCELLED', new Date(cancelledAt).toISOString()]]);
      expect(cancelled.summary).to.deep.equal({ count: 1, revenue: 0 });
      expect(cancelled.items[0].amount).to.equal(20_000);

      const all = await feed(app.http, admin.auth, { status: 'ALL' });
      expect(all.items.map((i) => i.reservationId)).to.deep.equal([1, 2, 3]);
      expect(all.summary).to.deep.equal({ count: 3, revenue: 50_000 });

      // A second cancellation event changes nothing.
      (app.clock as ManualClock).advance(60_000);
      await publishCancelled(app.platform, 2, 'CONFIRMED');
      await app.platform.bus.drain();
      expect((await allRecords(app.http, admin.auth)).get(2)?.cancelledAt).to.equal(new Date(cancelledAt).toISOString());
    });

    it('ignores a cancelled hold (never confirmed), and a later confirmation of that id stays CONFIRMED', async () => {
      await publishCancelled(app.platform, 5, 'HELD');
      await app.platform.bus.drain();
      expect(await count()).to.equal(0);
      expect(await app.platform.database('data-platform').knex('dp_early_cancellations')).to.deep.equal([]);
      await publishConfirmed(app.platform, { reservationId: 5 });
      await eventually(async () => (await count()) === 1, app.platform);
      expect((await allRecords(app.http, admin.auth)).get(5)?.status).to.equal('CONFIRMED');
    });

    it('applies a cancellation that is handled before its confirmation', async () => {
      const cancelledAt = app.clock.now();
      await publishCancelled(app.platform, 6, 'CONFIRMED');
      await eventually(async () => (await app.platform.database('data-platform').knex('dp_early_cancellations')).length === 1, app.platform);
      await publishConfirmed(app.platform, { reservationId: 6, price: 25_000 });
      await eventually(async () => (await count()) === 1, app.platform);

      const record = (await allRecords(app.http, admin.auth)).get(6);
      expect(record?.status).to.equal('CANCELLED');
      expect(record?.cancelledAt).to.equal(new Date(cancelledAt).toISOString());
      expect((await feed(app.http, admin.auth)).summary).to.deep.equal({ count: 0, revenue: 0 });
      expect(await app.platform.database('data-platform').knex('dp_early_cancellations')).to.deep.equal([]);
    });
  });

  it('exposes the records by delivery state as a gauge', async () => {
    await publishConfirmed(app.platform, { reservationId: 1 }, { reservationId: 2 });
    await eventually(async () => (await count()) === 2, app.platform);
    const metrics = await app.http.get('/metrics');
    expect(metrics.text).to.match(/^data_platform_records\{delivery="DISABLED"\} 2$/m);
    expect(metrics.text).to.match(/^data_platform_records\{delivery="PENDING"\} 0$/m);
    expect(metrics.text).to.match(/^data_platform_sink_circuit_open 0$/m);
  });
});
