import { expect } from 'chai';
import { createTestApp, loginAdmin, signupAndLogin, type TestUser } from '../support/test-app';
import { describeOnEachStore, join, leave, overview, poll, type QueueTestApp, queueApp, storeEnv, type Ticket, tick } from './queue-test-kit';

describeOnEachStore('queue: bad input and polling discipline', () => {
  let app: QueueTestApp;
  let alice: TestUser;
  let bob: TestUser;
  let aliceTicket: Ticket;

  beforeEach(async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '10', QUEUE_WAITING_IDLE_SECONDS: '120' });
    const first = await signupAndLogin(app.http, 'first');
    await join(app.http, first);
    alice = await signupAndLogin(app.http, 'alice');
    bob = await signupAndLogin(app.http, 'bob');
    aliceTicket = await join(app.http, alice);
    expect(aliceTicket.status).to.equal('WAITING');
    app.clock.advance(5_000);
  });

  afterEach(() => app.stop());

  for (const method of ['get', 'delete'] as const) {
    const path = method === 'get' ? '/queue/status' : '/queue/token';

    it(`${method.toUpperCase()} ${path}: missing X-Queue-Token → 400 VALIDATION_FAILED naming the header`, async () => {
      const res = await app.http[method](path).set(alice.auth);
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      expect(res.body.errors).to.deep.equal([{ field: 'headers.x-queue-token', message: 'X-Queue-Token header is required' }]);
    });

    it(`${method.toUpperCase()} ${path}: malformed X-Queue-Token → 400 VALIDATION_FAILED`, async () => {
      for (const bad of ['abc', `${aliceTicket.token}x`, `${aliceTicket.token.slice(0, 42)}!`, ' '.repeat(43)]) {
        const res = await app.http[method](path).set(alice.auth).set('X-Queue-Token', bad);
        expect(res.status, bad).to.equal(400);
        expect(res.body.errors[0].field).to.equal('headers.x-queue-token');
      }
    });

    it(`${method.toUpperCase()} ${path}: an unknown token or someone else's → 404 QUEUE_TOKEN_NOT_FOUND, nothing changed`, async () => {
      for (const token of ['A'.repeat(43), aliceTicket.token]) {
        const res = await app.http[method](path).set(bob.auth).set('X-Queue-Token', token);
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('QUEUE_TOKEN_NOT_FOUND');
      }
      // Alice's place is untouched (and bob's attempts did not count as her polls).
      const mine = await poll(app.http, alice, aliceTicket.token);
      expect(mine).to.include({ status: 'WAITING', position: 1 });
    });

    it(`${method.toUpperCase()} ${path}: no bearer token → 401 before anything else`, async () => {
      const res = await app.http[method](path).set('X-Queue-Token', aliceTicket.token);
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    });
  }

  it('POST /queue/token refuses a body with fields and malformed JSON (400), creating nothing', async () => {
    const carol = await signupAndLogin(app.http, 'carol');
    const extra = await app.http.post('/queue/token').set(carol.auth).send({ position: 1 });
    expect(extra.status).to.equal(400);
    expect(extra.body.code).to.equal('VALIDATION_FAILED');
    const malformed = await app.http.post('/queue/token').set(carol.auth).set('Content-Type', 'application/json').send('{"oops"');
    expect(malformed.status).to.equal(400);
    expect(await app.platform.database('queue').knex('queue_tokens').where({ user_id: carol.id })).to.have.length(0);
    // An empty JSON object is fine.
    expect((await app.http.post('/queue/token').set(carol.auth).send({})).status).to.equal(201);
  });

  it('polling much faster than pollAfterSeconds → 429 RATE_LIMITED with Retry-After; polling as advised never is', async () => {
    const first = await poll(app.http, alice, aliceTicket.token);
    expect(first.pollAfterSeconds).to.equal(1);
    // Well-behaved: exactly at the advised interval, then a little early (jitter), then late.
    for (const wait of [1000, 900, 600, 5000]) {
      app.clock.advance(wait);
      await poll(app.http, alice, aliceTicket.token);
    }
    app.clock.advance(100);
    const tooFast = await app.http.get('/queue/status').set(alice.auth).set('X-Queue-Token', aliceTicket.token);
    expect(tooFast.status).to.equal(429);
    expect(tooFast.body.code).to.equal('RATE_LIMITED');
    expect(tooFast.headers['retry-after']).to.equal('1');
    expect(tooFast.headers['content-type']).to.match(/application\/problem\+json/);
    // After Retry-After the poll is answered again.
    app.clock.advance(1000);
    expect((await poll(app.http, alice, aliceTicket.token)).position).to.equal(1);
  });

  it('with QUEUE_POLL_THROTTLE=false (load tests) a token may poll as often as it likes', async () => {
    const free = await createTestApp({ env: { ...storeEnv(), QUEUE_MAX_ACTIVE: '1', QUEUE_POLL_THROTTLE: 'false' } });
    try {
      const first = await signupAndLogin(free.http, 'first');
      const second = await signupAndLogin(free.http, 'second');
      await free.http.post('/queue/token').set(first.auth).expect(201);
      const waiting = (await free.http.post('/queue/token').set(second.auth).expect(201)).body;
      expect(waiting.status).to.equal('WAITING');
      for (let i = 0; i < 5; i++) {
        const res = await free.http.get('/queue/status').set(second.auth).set('X-Queue-Token', waiting.token);
        expect(res.status).to.equal(200);
        expect(res.body.position).to.equal(1);
      }
    } finally {
      await free.stop();
    }
  });

  it('ended tokens answer with their final status and can be left again harmlessly', async () => {
    await app.http.delete('/queue/token').set(alice.auth).set('X-Queue-Token', aliceTicket.token).expect(204);
    for (let i = 0; i < 3; i++) {
      const res = await app.http.get('/queue/status').set(alice.auth).set('X-Queue-Token', aliceTicket.token);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ token: aliceTicket.token, status: 'EXPIRED', position: 0, estimatedWaitSeconds: 0, pollAfterSeconds: 0 });
    }
    await app.http.delete('/queue/token').set(alice.auth).set('X-Queue-Token', aliceTicket.token).expect(204);
  });

  it('the database alone refuses a second live token for a user (unique live_user_id)', async () => {
    const db = app.platform.database('queue').knex;
    const base = { user_id: bob.id, live_user_id: bob.id, status: 'WAITING', created_at_ms: app.clock.now() };
    await db('queue_tokens').insert({ ...base, token: 'B'.repeat(43) });
    let refused = false;
    try {
      await db('queue_tokens').insert({ ...base, token: 'C'.repeat(43) });
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
    // A token written behind the index's back is found, not duplicated, when bob asks.
    const res = await app.http.post('/queue/token').set(bob.auth);
    expect(res.status).to.equal(200);
    expect(res.body.token).to.equal('B'.repeat(43));
    expect(await db('queue_tokens').where({ user_id: bob.id })).to.have.length(1);
  });
});

describeOnEachStore('queue: operator controls', () => {
  let app: QueueTestApp;
  let admin: TestUser;

  beforeEach(async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '2', QUEUE_ADMIT_PER_SECOND: '10', QUEUE_ACTIVE_TTL_SECONDS: '300', QUEUE_WAITING_IDLE_SECONDS: '120' });
    admin = await loginAdmin(app.http);
  });

  afterEach(() => app.stop());

  it('GET /admin/queue reports waiting, active, admissions per minute, oldest wait and the flow settings', async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < 5; i++) users.push(await signupAndLogin(app.http, `op${i}`));
    for (const u of users) await join(app.http, u);
    app.clock.advance(42_000);
    const o = await overview(app.http, admin);
    expect(o).to.deep.include({
      waiting: 3,
      active: 2,
      maxActive: 2,
      admitPerSecond: 10,
      admissionsPerMinute: 2,
      oldestWaitSeconds: 42,
      activeTtlSeconds: 300,
      waitingIdleSeconds: 120,
      defaults: { maxActive: 2, admitPerSecond: 10 },
    });
    expect(o.estimatedAdmissionsPerSecond).to.be.a('number');

    const metrics = await app.http.get('/metrics');
    expect(metrics.text).to.match(/^queue_waiting_tokens 3$/m);
    expect(metrics.text).to.match(/^queue_active_tokens 2$/m);
  });

  it("GET /admin/queue says the estimated wait of the last in line, as that user's own poll says it", async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < 6; i++) users.push(await signupAndLogin(app.http, `last${i}`));
    const tickets = [];
    for (const u of users) tickets.push(await join(app.http, u));
    expect((await overview(app.http, admin)).lastInLineWaitSeconds).to.be.greaterThan(0);
    app.clock.advance(2000);
    const last = await poll(app.http, users[5], tickets[5].token);
    expect(last).to.include({ status: 'WAITING', position: 4 });
    expect((await overview(app.http, admin)).lastInLineWaitSeconds).to.equal(last.estimatedWaitSeconds);
    for (let i = 2; i < 6; i++) await leave(app.http, users[i], tickets[i].token);
    expect((await overview(app.http, admin)).lastInLineWaitSeconds).to.equal(0);
  });

  it('PATCH /admin/queue changes the flow without a restart; null restores the default', async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < 6; i++) users.push(await signupAndLogin(app.http, `flow${i}`));
    for (const u of users) await join(app.http, u);
    expect((await overview(app.http, admin)).active).to.equal(2);

    const patched = await app.http.patch('/admin/queue').set(admin.auth).send({ maxActive: 5 });
    expect(patched.status).to.equal(200);
    expect(patched.body).to.include({ maxActive: 5, admitPerSecond: 10 });
    await tick(app, 1000);
    expect((await overview(app.http, admin)).active).to.equal(5);

    // Lowering the cap evicts nobody, it only stops admissions.
    await app.http.patch('/admin/queue').set(admin.auth).send({ maxActive: 1, admitPerSecond: 3 }).expect(200);
    await tick(app, 1000);
    expect(await overview(app.http, admin)).to.include({ active: 5, waiting: 1, maxActive: 1, admitPerSecond: 3 });

    const reset = await app.http.patch('/admin/queue').set(admin.auth).send({ maxActive: null });
    expect(reset.body).to.include({ maxActive: 2, admitPerSecond: 3 });
    const stored = await app.platform.database('queue').knex('queue_settings').first();
    expect(stored).to.include({ max_active: null, admit_per_second: 3 });
  });

  it('PATCH /admin/queue: bad input → 400 and nothing changes; non-admin → 403; no token → 401', async () => {
    for (const body of [{}, { maxActive: 0 }, { maxActive: 1.5 }, { admitPerSecond: '10' }, { admitPerSecond: 100_001 }, { maxActive: 5, extra: true }]) {
      const res = await app.http.patch('/admin/queue').set(admin.auth).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
    }
    expect(await overview(app.http, admin)).to.include({ maxActive: 2, admitPerSecond: 10 });
    const user = await signupAndLogin(app.http, 'notadmin');
    expect((await app.http.patch('/admin/queue').set(user.auth).send({ maxActive: 9 })).status).to.equal(403);
    expect((await app.http.get('/admin/queue').set(user.auth)).status).to.equal(403);
    expect((await app.http.get('/admin/queue')).status).to.equal(401);
  });
});
