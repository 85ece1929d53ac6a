import fs from 'node:fs';
import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, loginAdmin, type TestApp, type TestUser, tempDataDir } from '../support/test-app';
import {
  allRecords,
  DATA_PLATFORM_TEST_MODULES,
  type FeedItem,
  feed,
  publishCancelled,
  publishConfirmed,
  publishSchedule,
  refusedUrl,
  TestSink,
} from './data-platform.helpers';

const JOB = 'deliver-records';

describe('data platform: delivery to DATA_PLATFORM_URL', () => {
  let app: TestApp;
  let admin: TestUser;
  let sink: TestSink;
  let clock: ManualClock;

  async function startApp(url: string, env: Record<string, string> = {}): Promise<void> {
    app = await createTestApp({ env: { MODULES: DATA_PLATFORM_TEST_MODULES, DATA_PLATFORM_URL: url, ...env } });
    admin = await loginAdmin(app.http);
    clock = app.clock as ManualClock;
  }

  /** Moves time past any fast-retry backoff (≤ 60 s) and the circuit's open period, then runs the job. */
  async function deliverLater(ms = 61_000): Promise<void> {
    clock.advance(ms);
    await app.platform.runJob('data-platform', JOB);
  }

  const records = async (): Promise<FeedItem[]> => [...(await allRecords(app.http, admin.auth)).values()];
  const totalAttempts = async () => (await records()).reduce((sum, r) => sum + r.deliveryAttempts, 0);

  async function stored(n: number): Promise<void> {
    await eventually(async () => (await records()).length === n, app.platform);
  }

  beforeEach(async () => {
    sink = await TestSink.start();
  });

  afterEach(async () => {
    await app?.stop();
    await sink.stop();
  });

  it('keeps records PENDING while the sink fails, then delivers each exactly once when it is back', async () => {
    await startApp(sink.url);
    sink.status = 500;
    await publishSchedule(app.platform, { concertId: 1, scheduleId: 10, title: 'Opening Night', startsAt: '2030-06-01T19:00:00.000Z' });
    await eventually(async () => (await app.platform.database('data-platform').knex('dp_schedules')).length === 1, app.platform);
    await publishConfirmed(app.platform, { reservationId: 1, price: 10_000 }, { reservationId: 2, price: 20_000 }, { reservationId: 3, price: 30_000 });
    await stored(3);

    let previous = await totalAttempts();
    for (let round = 0; round < 4; round += 1) {
      await deliverLater();
      const now = await records();
      for (const r of now) {
        expect(r.delivery).to.equal('PENDING');
        expect(r.deliveredAt).to.equal(null);
      }
      const attempts = now.reduce((sum, r) => sum + r.deliveryAttempts, 0);
      expect(attempts, `round ${round}`).to.be.greaterThan(previous);
      previous = attempts;
    }
    const failing = await records();
    expect(failing.every((r) => r.deliveryAttempts >= 1)).to.equal(true);
    expect(failing.every((r) => /HTTP 500/.test(r.lastDeliveryError ?? ''))).to.equal(true);
    expect(failing.every((r) => r.nextDeliveryAttemptAt !== null)).to.equal(true);
    expect(sink.accepted().size).to.equal(0);
    expect(sink.requests.length).to.equal(previous);

    sink.status = 200;
    for (let round = 0; round < 5 && (await records()).some((r) => r.delivery !== 'DELIVERED'); round += 1) await deliverLater();
    const delivered = await records();
    expect(delivered.map((r) => r.delivery)).to.deep.equal(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    for (const r of delivered) {
      expect(r.deliveredAt).to.be.a('string');
      expect(r.lastDeliveryError).to.equal(null);
      expect(r.nextDeliveryAttemptAt).to.equal(null);
      expect(r.deliveryAttempts).to.be.greaterThan(1);
    }
    // Each record reached the sink once, keyed by its reservation id.
    expect([...sink.accepted().entries()].sort()).to.deep.equal([
      ['1', 1],
      ['2', 1],
      ['3', 1],
    ]);
    const body = sink.requests.find((r) => r.status === 200 && r.idempotencyKey === '2')!;
    expect(body.contentType).to.match(/^application\/json/);
    expect(body.body).to.deep.include({
      reservationId: 2,
      userId: 7,
      concertId: 1,
      concertTitle: 'Opening Night',
      scheduleId: 10,
      startsAt: '2030-06-01T19:00:00.000Z',
      seatId: 1002,
      seatLabel: 'A-2',
      amount: 20_000,
      currency: 'KRW',
      confirmedAt: '2030-03-01T10:00:00.000Z',
      status: 'CONFIRMED',
    });

    // Nothing is sent again afterwards.
    const requests = sink.requests.length;
    await deliverLater(30 * 60_000);
    expect(sink.requests.length).to.equal(requests);
    expect((await feed(app.http, admin.auth, { delivery: 'DELIVERED' })).summary).to.deep.equal({ count: 3, revenue: 60_000 });
  });

  it('opens the circuit instead of hammering a failing sink, probes after a pause, and catches up', async () => {
    await startApp(sink.url);
    sink.status = 500;
    await publishConfirmed(app.platform, ...Array.from({ length: 20 }, (_, i) => ({ reservationId: i + 1 })));
    await stored(20);
    // The passes kicked by the new records are over once this one has run.
    await app.platform.runJob('data-platform', JOB);

    // opossum opens after 5 failed POSTs (plus at most 3 already in flight): most records were not even tried.
    const tried = sink.requests.length;
    expect(tried).to.be.within(5, 8);
    expect((await records()).filter((r) => r.deliveryAttempts === 0).length).to.equal(20 - tried);
    expect((await app.http.get('/metrics')).text).to.match(/^data_platform_sink_circuit_open 1$/m);

    // While open, nothing is sent, however often the job runs.
    await deliverLater(5_000);
    await deliverLater(5_000);
    expect(sink.requests.length).to.equal(tried);

    // After the open period one probe goes out; it fails, so the circuit opens again.
    await deliverLater(10_000);
    expect(sink.requests.length).to.equal(tried + 1);
    await app.platform.runJob('data-platform', JOB);
    expect(sink.requests.length).to.equal(tried + 1);

    // The sink is back: the next probe succeeds, the circuit closes and the backlog drains.
    sink.status = 200;
    await deliverLater(16_000);
    const after = await records();
    expect(after.filter((r) => r.delivery !== 'DELIVERED')).to.deep.equal([]);
    expect(sink.accepted().size).to.equal(20);
    expect([...sink.accepted().values()].every((n) => n === 1)).to.equal(true);
    expect((await app.http.get('/metrics')).text).to.match(/^data_platform_sink_circuit_open 0$/m);
    expect((await app.http.get('/metrics')).text).to.match(/^data_platform_records\{delivery="DELIVERED"\} 20$/m);
  });

  it('marks a record FAILED after the fast retries, retries it slowly, and delivers it when the sink returns', async () => {
    await startApp(sink.url);
    sink.status = 503;
    await publishConfirmed(app.platform, { reservationId: 9, price: 12_000 });
    await stored(1);

    const maxAttempts = 10;
    for (let round = 0; round < 30 && (await records())[0].delivery === 'PENDING'; round += 1) await deliverLater();
    const [failed] = await records();
    expect(failed.delivery).to.equal('FAILED');
    expect(failed.deliveryAttempts).to.equal(maxAttempts);
    expect(failed.lastDeliveryError).to.match(/HTTP 503/);
    const wait = Date.parse(failed.nextDeliveryAttemptAt!) - clock.now();
    expect(wait).to.be.within(7.5 * 60_000, 12.5 * 60_000);
    expect(sink.requests.length).to.equal(maxAttempts);

    // A FAILED record is not retried at the fast pace...
    await deliverLater();
    expect(sink.requests.length).to.equal(maxAttempts);
    // ...but it is retried, and delivered once the sink takes it.
    sink.status = 201;
    await deliverLater(13 * 60_000);
    const [delivered] = await records();
    expect(delivered.delivery).to.equal('DELIVERED');
    expect(delivered.deliveryAttempts).to.equal(maxAttempts + 1);
    expect([...sink.accepted().entries()]).to.deep.equal([['9', 1]]);
  });

  it('marks records the sink refuses (4xx) FAILED at once without opening the circuit', async () => {
    await startApp(sink.url);
    sink.status = 422;
    await publishConfirmed(app.platform, ...Array.from({ length: 8 }, (_, i) => ({ reservationId: i + 1 })));
    await stored(8);
    await eventually(async () => (await records()).every((r) => r.delivery === 'FAILED'), app.platform);

    const refused = await records();
    expect(refused.map((r) => r.deliveryAttempts)).to.deep.equal(Array(8).fill(1));
    expect(refused.every((r) => /HTTP 422/.test(r.lastDeliveryError ?? ''))).to.equal(true);
    // Every record was tried: a refusal shows the sink is up, so the circuit stayed closed.
    expect(sink.requests.length).to.equal(8);
    expect((await app.http.get('/metrics')).text).to.match(/^data_platform_sink_circuit_open 0$/m);
    expect((await app.http.get('/metrics')).text).to.match(/^data_platform_records\{delivery="FAILED"\} 8$/m);
  });

  it('never lets a down sink (connection refused) fail event handling', async () => {
    await startApp(await refusedUrl());
    await publishConfirmed(app.platform, ...Array.from({ length: 10 }, (_, i) => ({ reservationId: i + 1, price: 1000 * (i + 1) })));
    await stored(10);
    await publishCancelled(app.platform, 4, 'CONFIRMED');
    await eventually(async () => (await records()).some((r) => r.status === 'CANCELLED'), app.platform);
    for (let round = 0; round < 3; round += 1) await deliverLater();

    const now = await records();
    expect(now.every((r) => r.delivery === 'PENDING')).to.equal(true);
    expect(now.some((r) => r.deliveryAttempts >= 1)).to.equal(true);
    expect(now.filter((r) => r.lastDeliveryError !== null).every((r) => /could not reach the sink.*ECONNREFUSED/.test(r.lastDeliveryError!))).to.equal(true);
    expect((await feed(app.http, admin.auth)).summary).to.deep.equal({ count: 9, revenue: 55_000 - 4000 });

    // Every event was handled on its first delivery: no retry, no dead letter.
    const inbox = await app.platform.database('data-platform').knex('inbox').select('status', 'attempts');
    expect(inbox.length).to.equal(11);
    expect(inbox.every((row: { status: string; attempts: number }) => row.status === 'DONE' && row.attempts === 1)).to.equal(true);
    expect((await app.platform.bus.deadLetters()).filter((d) => d.module === 'data-platform')).to.deep.equal([]);
    const stats = (await app.platform.bus.stats()).find((s) => s.module === 'data-platform')!;
    expect(stats).to.include({ deliveriesRetrying: 0, deadLetters: 0 });
  });

  it('sends the records stored while no sink was configured once DATA_PLATFORM_URL is set', async () => {
    const dataDir = tempDataDir();
    try {
      app = await createTestApp({ env: { MODULES: DATA_PLATFORM_TEST_MODULES, DATA_DIR: dataDir } });
      admin = await loginAdmin(app.http);
      await publishConfirmed(app.platform, { reservationId: 1 }, { reservationId: 2 });
      await stored(2);
      expect((await records()).map((r) => r.delivery)).to.deep.equal(['DISABLED', 'DISABLED']);
      await app.stop();

      await startApp(sink.url, { DATA_DIR: dataDir });
      await eventually(async () => {
        await app.platform.runJob('data-platform', JOB);
        return (await records()).every((r) => r.delivery === 'DELIVERED');
      }, app.platform);
      expect([...sink.accepted().entries()].sort()).to.deep.equal([
        ['1', 1],
        ['2', 1],
      ]);
    } finally {
      await app.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
