import { expect } from 'chai';
import { ADMIN, tempDataDir } from '../support/test-app';
import { freshDatabaseUrl, onPostgres } from '../support/test-backend';
import { freshNamespace, natsUrl, requireBroker } from '../support/test-broker';
import { redisUrl, requireRedis, trackRedisNamespace } from '../support/test-redis';
import { admittedBuyer, freePort, ServerProcess } from './server-process';

/** The split topology on a fresh namespace and data directory, with the admin logged in. */
async function startSplit(env: Record<string, string> = {}): Promise<{ split: ServerProcess; admin: Record<string, string> }> {
  const split = new ServerProcess(
    {
      TOPOLOGY: 'split',
      NATS_URL: natsUrl!,
      BUS_NAMESPACE: freshNamespace(),
      DATA_DIR: tempDataDir(),
      JWT_SECRET: 'split-test-secret-split-test-secret-0123',
      TICKET_SECRET: 'split-test-ticket-secret-split-test-ticket',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
    await freePort(),
    { quiet: true },
  );
  await split.start();
  const login = await split.call('POST', '/auth/login', {}, ADMIN);
  expect(login.status, JSON.stringify(login.body)).to.equal(200);
  return { split, admin: { Authorization: `Bearer ${login.body.accessToken}` } };
}

async function servicesOf(split: ServerProcess, admin: Record<string, string>): Promise<Record<string, { pid: number; status: string; restarts: number }>> {
  const res = await split.call('GET', '/admin/services', admin);
  expect(res.status).to.equal(200);
  return Object.fromEntries(res.body.items.map((s: { name: string }) => [s.name, s]));
}

/** Calls `call` until `done` says its answer is the one awaited (every 100 ms, at most `tries` times); returns the last answer. */
async function until<T>(call: () => Promise<T>, done: (answer: T) => boolean, tries = 50): Promise<T> {
  let answer = await call();
  for (let i = 1; i < tries && !done(answer); i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    answer = await call();
  }
  return answer;
}

/**
 * `TOPOLOGY=split` for real: the gateway and seven service processes on the broker, over HTTP only.
 * (The whole black-box suite against this topology is issue 16's next step; these are its edge.)
 */
describe('split topology: a gateway and one process per module', function () {
  this.timeout(120_000);
  let split: ServerProcess;
  let admin: Record<string, string>;
  before(async function () {
    requireBroker(this);
    ({ split, admin } = await startSplit());
  });
  after(async () => split?.stop());

  const servicesByName = () => servicesOf(split, admin);

  it('serves a whole purchase through the gateway: the hold in one service, the payment in another, CONFIRMED by events', async () => {
    const concert = await split.call('POST', '/admin/concerts', admin, {
      title: 'Split Live',
      artist: 'Six Processes',
      venue: 'Hall',
      schedules: [{ startsAt: '2031-01-01T19:00:00.000Z', seats: [{ label: 'A-1', price: 40_000 }] }],
    });
    expect(concert.status, JSON.stringify(concert.body)).to.equal(201);
    const email = `split-${Date.now()}@test.local`;
    const { auth, withPass } = await admittedBuyer(split, email);
    const scheduleId = concert.body.schedules[0].id;
    // The catalogue reaches the reservation service through the broker.
    let hold = { status: 0, body: null as any, headers: new Headers() };
    for (let i = 0; i < 50 && hold.status !== 201; i += 1) {
      hold = await split.call('POST', '/ticketing/reservations/new', withPass, { scheduleId, seatId: concert.body.schedules[0].seats[0].id });
      if (hold.status !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    expect((await split.call('POST', '/payments/charge', { ...auth, 'Idempotency-Key': `c-${email}` }, { amount: 40_000 })).status).to.be.oneOf([200, 201]);
    let pay = { status: 0, body: null as any, headers: new Headers() };
    for (let i = 0; i < 50 && pay.status !== 200; i += 1) {
      pay = await split.call('POST', '/payments/process', { ...withPass, 'Idempotency-Key': `p-${email}` }, { reservationId: hold.body.id });
      if (pay.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(pay.status, JSON.stringify(pay.body)).to.equal(200);
    const confirmed = await split.call('GET', `/ticketing/reservations/${hold.body.id}`, {
      ...auth,
      'If-None-Match': hold.headers.get('etag') ?? '',
      Prefer: 'wait=10',
    });
    expect(confirmed.body.status).to.equal('CONFIRMED');
  });

  it('answers 401 at the gateway for a forged token on a protected route, and 404 for a route no service declares', async () => {
    const forged = await split.call('GET', '/payments/history', { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged' });
    expect(forged.status).to.equal(401);
    expect(forged.body.code).to.equal('UNAUTHORIZED');
    expect((await split.call('GET', '/no/such/route')).status).to.equal(404);
  });

  it('aggregates readiness, the API document and each service’s metrics', async () => {
    const ready = await split.call('GET', '/health/ready');
    expect(ready.status).to.equal(200);
    expect(Object.keys(ready.body.checks)).to.include.members(['auth', 'queue', 'concert', 'reservation', 'payment', 'data-platform', 'notification']);
    const doc = await split.call('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).to.include.members([
      '/auth/login',
      '/payments/charge',
      '/ticketing/reservations/new',
      '/data-platform/reservations',
      '/notifications',
      '/tickets/scan',
      '/admin/users/{id}/roles',
    ]);
    const services = await split.call('GET', '/admin/services', admin);
    for (const s of services.body.items) expect(s.consumerLag, s.name).to.include.all.keys('pending', 'ackPending');
    const res = await fetch(`${split.base}/metrics/payment`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.match(/bus_consumer_pending_events\{subscriber="payment"/);
  });

  it('with the payment service hung (SIGSTOP): holds and reads still work, payment answers 503 at once, and a confirm answers 202 and completes once it is back', async () => {
    const concert = await split.call('POST', '/admin/concerts', admin, {
      title: 'Hung Payment',
      artist: 'SIGSTOP',
      venue: 'Hall',
      schedules: [
        {
          startsAt: '2031-01-01T19:00:00.000Z',
          seats: [
            { label: 'A-1', price: 20_000 },
            { label: 'A-2', price: 20_000 },
          ],
        },
      ],
    });
    const [schedule] = concert.body.schedules;
    const email = `hung-${Date.now()}@test.local`;
    const { auth, withPass } = await admittedBuyer(split, email);
    let charge = await split.call('POST', '/payments/charge', { ...auth, 'Idempotency-Key': `c-${email}` }, { amount: 20_000 });
    for (let i = 0; i < 50 && charge.status !== 200; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      charge = await split.call('POST', '/payments/charge', { ...auth, 'Idempotency-Key': `c-${email}` }, { amount: 20_000 });
    }
    let hold = await split.call('POST', '/ticketing/reservations/new', withPass, { scheduleId: schedule.id, seatId: schedule.seats[0].id });
    for (let i = 0; i < 50 && hold.status !== 201; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      hold = await split.call('POST', '/ticketing/reservations/new', withPass, { scheduleId: schedule.id, seatId: schedule.seats[0].id });
    }
    expect(hold.status).to.equal(201);
    // The payment copy of the hold must exist before the service hangs, or the saga would wait for it too.
    await new Promise((r) => setTimeout(r, 500));

    const { payment } = await servicesByName();
    process.kill(payment.pid, 'SIGSTOP');
    let sagaId: string;
    try {
      for (let i = 0; i < 50 && (await servicesByName()).payment.status !== 'down'; i += 1) await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const refused = await split.call('GET', '/balance', auth);
      expect(Date.now() - started).to.be.below(1000);
      expect(refused.status).to.equal(503);
      expect(refused.body.service).to.equal('payment');
      // The rest of the system carries on.
      expect((await split.call('POST', '/ticketing/reservations/new', withPass, { scheduleId: schedule.id, seatId: schedule.seats[1].id })).status).to.equal(
        201,
      );
      expect((await split.call('GET', '/ticketing/reservations', auth)).status).to.equal(200);
      const confirm = await split.call('POST', '/ticketing/reservations/confirm', withPass, { reservationId: hold.body.id });
      expect(confirm.status, JSON.stringify(confirm.body)).to.equal(202);
      sagaId = confirm.body.saga.id;
    } finally {
      process.kill(payment.pid, 'SIGCONT');
    }
    for (let i = 0; i < 200; i += 1) {
      const saga = await split.call('GET', `/ticketing/sagas/${sagaId}`, auth);
      if (saga.body.status === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await split.call('GET', `/ticketing/sagas/${sagaId}`, auth)).body.status).to.equal('COMPLETED');
    expect((await split.call('GET', `/ticketing/reservations/${hold.body.id}`, auth)).body.status).to.equal('CONFIRMED');
    // The gateway routes to the service again once its health poll has seen it answer (within a second).
    let balance = await split.call('GET', '/balance', auth);
    for (let i = 0; i < 30 && balance.status === 503; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      balance = await split.call('GET', '/balance', auth);
    }
    expect(balance.body.balance).to.equal(0);
  });

  it('answers 503 SERVICE_UNAVAILABLE naming a killed service at once, keeps the others serving, and restarts it', async () => {
    const before = await servicesByName();
    process.kill(before.payment.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const down = await split.call('GET', '/balance', admin);
    expect(Date.now() - started).to.be.below(1000);
    expect(down.status).to.equal(503);
    expect(down.body).to.include({ code: 'SERVICE_UNAVAILABLE', service: 'payment' });
    expect((await split.call('GET', '/ticketing/search/concerts', admin)).status).to.equal(200);
    let balance = down;
    for (let i = 0; i < 100 && balance.status !== 200; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      balance = await split.call('GET', '/balance', admin);
    }
    expect(balance.status).to.equal(200);
    const after = await servicesByName();
    expect(after.payment.restarts).to.equal(before.payment.restarts + 1);
    expect(after.payment.pid).to.not.equal(before.payment.pid);
  });
});

describe('split topology: the payment service hung past the confirm saga’s deadline', function () {
  this.timeout(120_000);
  let split: ServerProcess;
  let admin: Record<string, string>;
  before(async function () {
    requireBroker(this);
    // The PAY step gives up when the hold ends: the shortest hold there is makes that 10 s away.
    ({ split, admin } = await startSplit({ HOLD_TTL_SECONDS: '10' }));
  });
  after(async () => split?.stop());

  it('ends the saga FAILED (TIMEOUT) and releases the seat; the payment service, back, takes no money for it', async () => {
    const concert = await split.call('POST', '/admin/concerts', admin, {
      title: 'Deadline',
      artist: 'SIGSTOP',
      venue: 'Hall',
      schedules: [{ startsAt: '2031-01-01T19:00:00.000Z', seats: [{ label: 'A-1', price: 20_000 }] }],
    });
    expect(concert.status, JSON.stringify(concert.body)).to.equal(201);
    const [schedule] = concert.body.schedules;
    const email = `deadline-${Date.now()}@test.local`;
    const { auth, withPass } = await admittedBuyer(split, email);
    const charge = await until(
      () => split.call('POST', '/payments/charge', { ...auth, 'Idempotency-Key': `c-${email}` }, { amount: 20_000 }),
      (r) => r.status === 200,
    );
    expect(charge.status, JSON.stringify(charge.body)).to.equal(200);
    const hold = await until(
      () => split.call('POST', '/ticketing/reservations/new', withPass, { scheduleId: schedule.id, seatId: schedule.seats[0].id }),
      (r) => r.status === 201,
    );
    expect(hold.status, JSON.stringify(hold.body)).to.equal(201);
    await new Promise((r) => setTimeout(r, 500)); // the payment copy of the hold is made before the service hangs

    const { payment } = await servicesOf(split, admin);
    process.kill(payment.pid, 'SIGSTOP');
    let sagaId: string;
    try {
      const confirm = await split.call('POST', '/ticketing/reservations/confirm', withPass, { reservationId: hold.body.id });
      expect(confirm.status, JSON.stringify(confirm.body)).to.equal(202);
      sagaId = confirm.body.saga.id;
      // The deadline is the hold's end (at most 10 s away), then the deadline job's next round.
      const saga = await until(
        () => split.call('GET', `/ticketing/sagas/${sagaId}`, auth),
        (r) => r.body.status !== 'RUNNING',
        200,
      );
      expect(saga.body.status, JSON.stringify(saga.body)).to.equal('FAILED');
      expect(saga.body.failure?.code, JSON.stringify(saga.body)).to.equal('TIMEOUT');
    } finally {
      process.kill(payment.pid, 'SIGCONT');
    }
    // The hold ran out while payment was away (its seat is free for the next buyer once the payment grace is over).
    const reservation = await until(
      () => split.call('GET', `/ticketing/reservations/${hold.body.id}`, auth),
      (r) => r.body.status === 'EXPIRED',
    );
    expect(reservation.body.status).to.equal('EXPIRED');
    // Back, the payment service reads the PAY command it missed and its resends: the hold is over, so it refuses them all.
    const balance = await until(
      () => split.call('GET', '/balance', auth),
      (r) => r.status === 200,
    );
    expect(balance.body.balance).to.equal(20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const history = await split.call('GET', '/payments/history', auth);
    expect(history.body.items.map((e: { type: string }) => e.type)).to.deep.equal(['CHARGE']);
    expect((await split.call('GET', `/ticketing/sagas/${sagaId}`, auth)).body.status).to.equal('FAILED');
    const dead = await split.call('GET', '/admin/events/dead', admin);
    expect(dead.body.items, JSON.stringify(dead.body.items)).to.have.length(0);
  });
});

describe('split topology: two queue replicas on Redis (QUEUE_REPLICAS=2)', function () {
  this.timeout(120_000);
  let split: ServerProcess;
  let admin: Record<string, string>;
  before(async function () {
    requireBroker(this);
    // Replicas need PostgreSQL (the leadership of the admission cycle) and Redis (the shared live state).
    if (!onPostgres) return this.skip();
    await requireRedis(this);
    ({ split, admin } = await startSplit({
      BUS_NAMESPACE: trackRedisNamespace(freshNamespace()),
      DATABASE_URL: freshDatabaseUrl(),
      QUEUE_STORE: 'redis',
      REDIS_URL: redisUrl!,
      QUEUE_REPLICAS: '2',
      QUEUE_MAX_ACTIVE: '2',
      QUEUE_POLL_THROTTLE: 'false',
    }));
  });
  after(async () => split?.stop());

  it('lists each replica, balances the queue routes across them, and keeps answering every token when one is killed', async () => {
    // The gateway is ready once every module has one instance up; the second replica may still be starting.
    const services = await until(
      () => servicesOf(split, admin),
      (s) => s['queue-1']?.status === 'up' && s['queue-2']?.status === 'up',
      600,
    );
    expect(services['queue-1']).to.include({ module: 'queue', status: 'up' });
    expect(services['queue-2']).to.include({ module: 'queue', status: 'up' });
    expect(services['queue-1'].pid).to.not.equal(services['queue-2'].pid);
    expect(services.queue).to.equal(undefined);

    const users: Array<{ auth: Record<string, string>; token: string }> = [];
    for (let i = 0; i < 6; i++) {
      const email = `replica-${i}-${Date.now()}@test.local`;
      expect((await split.call('POST', '/auth/signup', {}, { email, password: 'password-123', name: 'r' })).status).to.equal(201);
      const auth = { Authorization: `Bearer ${(await split.call('POST', '/auth/login', {}, { email, password: 'password-123' })).body.accessToken}` };
      const joined = await split.call('POST', '/queue/token', auth);
      expect(joined.status, JSON.stringify(joined.body)).to.equal(201);
      users.push({ auth, token: joined.body.token });
    }
    const places = async () =>
      Promise.all(
        users.map(async (u) => {
          const res = await split.call('GET', '/queue/status', { ...u.auth, 'X-Queue-Token': u.token });
          return res.status === 200 ? (res.body.status === 'ACTIVE' ? 'A' : res.body.position) : res.status;
        }),
      );
    // Consecutive polls go to alternate replicas: the same answers.
    for (let round = 0; round < 3; round++) expect(await places()).to.deep.equal(['A', 'A', 1, 2, 3, 4]);

    process.kill(services['queue-1'].pid, 'SIGKILL');
    // The gateway stops sending to the dead replica within its health poll; meanwhile a request that reached it gets 503.
    const answers = await until(places, (a) => a.every((x) => x !== 503));
    expect(answers).to.deep.equal(['A', 'A', 1, 2, 3, 4]);
    const after = await until(
      () => servicesOf(split, admin),
      (s) => s['queue-1'].status === 'up' && s['queue-1'].restarts > 0,
      100,
    );
    expect(after['queue-1'].restarts).to.equal(services['queue-1'].restarts + 1);
    expect(await places()).to.deep.equal(['A', 'A', 1, 2, 3, 4]);
  });
});

describe('split topology: start-up checks', function () {
  // Four processes start (and stop) one after another.
  this.timeout(90_000);
  it('refuses to start without JWT_SECRET, TICKET_SECRET or NATS_URL, or with queue replicas on SQLite or the in-memory store, naming the variable (exit 78)', async () => {
    const secret = 'split-test-secret-split-test-secret-0123';
    const TICKET_SECRET = 'split-test-ticket-secret-split-test-ticket';
    for (const [env, variable] of [
      [{ TOPOLOGY: 'split', NATS_URL: 'nats://127.0.0.1:4222', TICKET_SECRET }, 'JWT_SECRET'],
      [{ TOPOLOGY: 'split', NATS_URL: 'nats://127.0.0.1:4222', JWT_SECRET: secret }, 'TICKET_SECRET'],
      [{ TOPOLOGY: 'split', JWT_SECRET: secret, TICKET_SECRET }, 'NATS_URL'],
      // Replicas on SQLite: only on the SQLite pass (the PostgreSQL pass gives every server a DATABASE_URL).
      ...(onPostgres
        ? []
        : ([
            [
              { TOPOLOGY: 'split', JWT_SECRET: secret, TICKET_SECRET, NATS_URL: 'nats://127.0.0.1:4222', QUEUE_REPLICAS: '2', QUEUE_STORE: 'redis' },
              'QUEUE_REPLICAS',
            ],
          ] as const)),
      [
        {
          TOPOLOGY: 'split',
          JWT_SECRET: secret,
          TICKET_SECRET,
          NATS_URL: 'nats://127.0.0.1:4222',
          QUEUE_REPLICAS: '2',
          DATABASE_URL: 'postgres://u@127.0.0.1:1/x',
        },
        'QUEUE_REPLICAS',
      ],
    ] as const) {
      const server = new ServerProcess({ ...env, DATA_DIR: tempDataDir() }, await freePort(), { quiet: true });
      const started = await server.start().then(
        () => true,
        () => false,
      );
      // A server that started after all must not be left running.
      if (started) await server.stop();
      expect(started, `started with ${JSON.stringify(env)}`).to.equal(false);
      const exit = await server.exit;
      expect(exit?.code).to.equal(78);
      expect(server.stderr).to.include(variable);
    }
  });
});
