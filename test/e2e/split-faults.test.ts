import { expect } from 'chai';
import { tempDataDir } from '../support/test-app';
import { freshNamespace, natsUrl, requireBroker } from '../support/test-broker';
import { admittedBuyer, freePort, type Reply, ServerProcess } from './server-process';

/**
 * Faults in the split topology: `kill -9` of every service in turn while a rush of purchases goes
 * through the gateway (the supervisor starts each again), then the same checks as the monolith's
 * crash test: acknowledged payments end CONFIRMED, balance = ledger for everyone and only confirmed
 * seats paid for, each seat sold once, the data platform has each confirmation once, no dead letters.
 */
const ADMIN = { email: 'faults-admin@test.local', password: 'faults-admin-password' };
const PRICE = 10_000;
const SERVICES = ['auth', 'queue', 'concert', 'reservation', 'payment', 'data-platform', 'notification'];

interface Buyer {
  id: number;
  auth: Record<string, string>;
  pass: string;
  seatId: number;
  heldId?: number;
  paid?: boolean;
}

describe('split topology under faults: kill -9 of each service in turn during a purchase rush', function () {
  this.timeout(180_000);
  let split: ServerProcess;
  before(function () {
    requireBroker(this);
  });
  after(async () => split?.stop());

  /** What a careful client does while a service restarts: the same request again, after a pause. */
  async function persist(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
    for (let attempt = 0; ; attempt += 1) {
      const reply = await split.call(method, url, headers, body).catch(() => null);
      const transient = !reply || reply.status === 503 || reply.status === 502 || reply.body?.code === 'IDEMPOTENCY_IN_FLIGHT';
      if (!transient || attempt >= 200) return reply ?? { status: 0, body: null, headers: new Headers() };
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('loses nothing and doubles nothing', async () => {
    split = new ServerProcess(splitEnv(tempDataDir(), freshNamespace()), await freePort(), { quiet: true });
    await split.start();
    const admin = { authorization: `Bearer ${(await split.call('POST', '/auth/login', {}, ADMIN)).body.accessToken}` };
    const concert = await split.call('POST', '/admin/concerts', admin, {
      title: 'Fault Test',
      artist: 'Kill Nine, Six Times',
      venue: 'Signal Hall',
      schedules: [{ startsAt: '2031-06-01T19:00:00.000Z', seats: Array.from({ length: 30 }, (_, i) => ({ label: `S-${i + 1}`, price: PRICE })) }],
    });
    expect(concert.status).to.equal(201);
    const scheduleId: number = concert.body.schedules[0].id;
    const seatIds: number[] = concert.body.schedules[0].seats.map((s: { id: number }) => s.id);

    const buyers: Buyer[] = [];
    for (let i = 0; i < 24; i += 1) {
      const { id, auth, pass } = await admittedBuyer(split, `faults-${i}@test.local`);
      // The payment service learns of the user through the broker.
      expect((await persist('POST', '/payments/charge', { ...auth, 'idempotency-key': `charge-${i}` }, { amount: 100_000 })).status).to.equal(200);
      buyers.push({ id, auth, pass, seatId: seatIds[i % 18] });
    }
    // The catalogue has reached the reservation service: a probe hold on the last seat.
    const probe = buyers[23];
    let probeHold = await persist('POST', '/ticketing/reservations/new', { ...probe.auth, 'x-queue-pass': probe.pass }, { scheduleId, seatId: seatIds[29] });
    for (let k = 0; k < 100 && probeHold.status === 404; k += 1) {
      await new Promise((r) => setTimeout(r, 100));
      probeHold = await persist('POST', '/ticketing/reservations/new', { ...probe.auth, 'x-queue-pass': probe.pass }, { scheduleId, seatId: seatIds[29] });
    }
    expect(probeHold.status).to.equal(201);
    await persist('POST', `/ticketing/reservations/${probeHold.body.id}/cancel`, probe.auth);

    const services = Object.fromEntries(
      ((await split.call('GET', '/admin/services', admin)).body.items as Array<{ name: string; pid: number }>).map((s) => [s.name, s.pid]),
    );
    const rush = Promise.all(
      buyers.map(async (b, i) => {
        await new Promise((r) => setTimeout(r, i * 40));
        const headers = { ...b.auth, 'x-queue-pass': b.pass };
        const hold = await persist('POST', '/ticketing/reservations/new', { ...headers, 'idempotency-key': `hold-${b.id}` }, { scheduleId, seatId: b.seatId });
        if (hold.status !== 201) return;
        b.heldId = hold.body.id;
        for (let k = 0; k < 100; k += 1) {
          const pay = await persist('POST', '/payments/process', { ...headers, 'idempotency-key': `pay-${b.id}` }, { reservationId: hold.body.id });
          if (pay.status === 200) b.paid = true;
          if (pay.status !== 404) return;
          // Not yet known to the payment service (its copy of the hold travels through the broker).
          await new Promise((r) => setTimeout(r, 100));
        }
      }),
    );
    for (const name of SERVICES) {
      process.kill(services[name], 'SIGKILL');
      await new Promise((r) => setTimeout(r, 250));
    }
    await rush;

    // Every service back, every outbox drained, nothing waiting for a retry.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const bus = await split.call('GET', '/admin/events', admin).catch(() => null);
      const items = bus?.status === 200 ? (bus.body.items as Array<{ outboxBacklog: number; deliveriesRetrying: number; deliveriesQueued: number }>) : null;
      if (items && items.length === SERVICES.length && items.every((m) => m.outboxBacklog === 0 && m.deliveriesRetrying === 0 && m.deliveriesQueued === 0))
        break;
      if (Date.now() > deadline) throw new Error(`the system did not settle: ${JSON.stringify(bus?.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const restarts = ((await split.call('GET', '/admin/services', admin)).body.items as Array<{ name: string; restarts: number }>).map((s) => s.restarts);
    expect(restarts.every((n) => n >= 1)).to.equal(true);
    expect(buyers.filter((b) => b.paid).length, 'some purchases went through the faults').to.be.greaterThan(0);

    // What a dead process had taken from the broker and not acknowledged comes back after the ack wait (5 s).
    for (const b of buyers.filter((x) => x.paid)) {
      for (let k = 0; k < 150; k += 1) {
        const mine = (await persist('GET', `/ticketing/reservations/${b.heldId}`, b.auth)).body;
        if (mine?.status === 'CONFIRMED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const confirmedBySeat = new Map<number, number>();
    let confirmedCount = 0;
    for (const b of buyers) {
      const mine = (await persist('GET', '/ticketing/reservations', b.auth)).body.items as Array<{ id: number; status: string; seatId: number }>;
      if (b.paid) expect(mine.find((r) => r.id === b.heldId)?.status, `paid reservation ${b.heldId}`).to.equal('CONFIRMED');
      const confirmed = mine.filter((r) => r.status === 'CONFIRMED');
      for (const r of confirmed) confirmedBySeat.set(r.seatId, (confirmedBySeat.get(r.seatId) ?? 0) + 1);
      confirmedCount += confirmed.length;
      const balance = (await persist('GET', '/balance', b.auth)).body.balance as number;
      const history = (await persist('GET', '/payments/history', b.auth)).body.items as Array<{ type: string; amount: number }>;
      const ledger = history.reduce((n, e) => n + (e.type === 'PAYMENT' ? -e.amount : e.amount), 0);
      expect(balance, `user ${b.id} balance vs ledger`).to.equal(ledger);
      expect(balance, `user ${b.id} paid only for confirmed seats`).to.equal(100_000 - PRICE * confirmed.length);
    }
    for (const [seat, n] of confirmedBySeat) expect(n, `seat ${seat} sold ${n} times`).to.equal(1);
    const feed = (await persist('GET', `/data-platform/reservations?scheduleId=${scheduleId}&pageSize=500`, admin)).body;
    expect(feed.summary.count).to.equal(confirmedCount);
    expect(new Set(feed.items.map((i: { reservationId: number }) => i.reservationId)).size).to.equal(feed.items.length);
    expect((await persist('GET', '/admin/events/dead', admin)).body.items).to.have.length(0);
  });
});

/** The split topology's settings for these tests, on its own data and broker namespace. */
function splitEnv(dataDir: string, namespace: string): Record<string, string> {
  return {
    TOPOLOGY: 'split',
    NATS_URL: natsUrl!,
    BUS_NAMESPACE: namespace,
    DATA_DIR: dataDir,
    JWT_SECRET: 'faults-secret-faults-secret-faults-0123',
    QUEUE_PASS_SECRET: 'faults-pass-secret-faults-pass-secret-01',
    TICKET_SECRET: 'faults-ticket-secret-faults-ticket-secret',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    QUEUE_MAX_ACTIVE: '100000',
    QUEUE_ADMIT_PER_SECOND: '100000',
    QUEUE_POLL_THROTTLE: 'false',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    BUS_RETRY_BASE_MS: '20',
    BUS_SWEEP_INTERVAL_MS: '100',
  };
}

describe('split topology under faults: kill -9 of the gateway', function () {
  this.timeout(120_000);
  let split: ServerProcess;
  before(function () {
    requireBroker(this);
  });
  after(async () => split?.stop());

  it('takes its services down with it, and a restart finds every acknowledged purchase', async () => {
    const env = splitEnv(tempDataDir(), freshNamespace());
    const port = await freePort();
    split = new ServerProcess(env, port, { quiet: true });
    await split.start();
    const admin = { authorization: `Bearer ${(await split.call('POST', '/auth/login', {}, ADMIN)).body.accessToken}` };
    const concert = await split.call('POST', '/admin/concerts', admin, {
      title: 'Gateway Down',
      artist: 'Kill Nine',
      venue: 'Hall',
      schedules: [{ startsAt: '2031-06-01T19:00:00.000Z', seats: [{ label: 'S-1', price: PRICE }] }],
    });
    const [schedule] = concert.body.schedules;
    const { auth, withPass: headers } = await admittedBuyer(split, 'gw@test.local');
    let charge = await split.call('POST', '/payments/charge', { ...auth, 'idempotency-key': 'gw-charge' }, { amount: PRICE });
    for (let k = 0; k < 50 && charge.status !== 200; k += 1) {
      await new Promise((r) => setTimeout(r, 100));
      charge = await split.call('POST', '/payments/charge', { ...auth, 'idempotency-key': 'gw-charge' }, { amount: PRICE });
    }
    let hold = await split.call('POST', '/ticketing/reservations/new', headers, { scheduleId: schedule.id, seatId: schedule.seats[0].id });
    for (let k = 0; k < 50 && hold.status !== 201; k += 1) {
      await new Promise((r) => setTimeout(r, 100));
      hold = await split.call('POST', '/ticketing/reservations/new', headers, { scheduleId: schedule.id, seatId: schedule.seats[0].id });
    }
    const pay = await split.call('POST', '/payments/process', { ...headers, 'idempotency-key': 'gw-pay' }, { reservationId: hold.body.id });
    expect(pay.status, JSON.stringify(pay.body)).to.equal(200);
    const pids = ((await split.call('GET', '/admin/services', admin)).body.items as Array<{ pid: number }>).map((s) => s.pid);

    await split.kill9();
    // No orphans: every service noticed its supervisor was gone and shut down.
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let k = 0; k < 100 && pids.some(alive); k += 1) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).to.deep.equal([]);

    split = new ServerProcess(env, port, { quiet: true });
    await split.start();
    let mine = (await split.call('GET', `/ticketing/reservations/${hold.body.id}`, auth)).body;
    for (let k = 0; k < 100 && mine.status !== 'CONFIRMED'; k += 1) {
      await new Promise((r) => setTimeout(r, 100));
      mine = (await split.call('GET', `/ticketing/reservations/${hold.body.id}`, auth)).body;
    }
    expect(mine.status).to.equal('CONFIRMED');
    expect((await split.call('GET', '/balance', auth)).body.balance).to.equal(0);
    const feed = (await split.call('GET', `/data-platform/reservations?scheduleId=${schedule.id}`, admin)).body;
    expect(feed.summary.count).to.equal(1);
  });
});
