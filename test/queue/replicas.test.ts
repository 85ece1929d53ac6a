import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, loginAdmin, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';
import { freshDatabaseUrl, onPostgres } from '../support/test-backend';
import { deleteKeysUnder, freshRedisNamespace, redisUrl, requireRedis } from '../support/test-redis';
import { T0, type Ticket } from './queue-test-kit';

interface Row {
  seq: number;
  user_id: number;
  token: string;
  status: string;
  end_reason: string | null;
  activated_at_ms: string | number | null;
  expires_at_ms: string | number | null;
}

/**
 * Two replicas of the queue service on one PostgreSQL system and one Redis namespace (QUEUE_STORE=redis),
 * each listening on its own port, driven by real concurrent HTTP requests: the waiting room's
 * guarantees hold whichever replica a request reaches (ADR 0011).
 */
describe('queue: two replicas on Redis and PostgreSQL', function () {
  this.timeout(120_000);
  let clock: ManualClock;
  let namespace: string;
  let replicas: TestApp[];
  let http: TestAgent[];

  before(async function () {
    // Replicas need the PostgreSQL pass (an SQLite file has one process) and Redis.
    if (!onPostgres) return this.skip();
    await requireRedis(this);
  });

  async function start(env: Record<string, string>): Promise<void> {
    clock = new ManualClock(T0);
    namespace = freshRedisNamespace();
    const shared = { DATABASE_URL: freshDatabaseUrl(), QUEUE_STORE: 'redis', REDIS_URL: redisUrl!, BUS_NAMESPACE: namespace, ...env };
    replicas = [];
    http = [];
    for (const name of ['queue-1', 'queue-2']) {
      const app = await createTestApp({ clock, env: { ...shared, INSTANCE_NAME: name } });
      const address: AddressInfo = await app.platform.listen(0, '127.0.0.1');
      replicas.push(app);
      http.push(request(`http://127.0.0.1:${address.port}`));
    }
  }

  afterEach(async () => {
    for (const app of replicas ?? []) await app.stop();
    replicas = [];
  });

  const rows = async (): Promise<Row[]> => replicas[0].platform.database('queue').knex('queue_tokens').orderBy('seq');
  /** Runs the admission cycle on every replica at once, `times` times (the leader's timer and the kicks race like this). */
  const cycleEverywhere = (times = 1) => Promise.all(replicas.flatMap((r) => Array.from({ length: times }, () => r.platform.runJob('queue', 'admit'))));

  async function users(n: number): Promise<TestUser[]> {
    const out: TestUser[] = [];
    for (let i = 0; i < n; i += 20)
      out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, k) => signupAndLogin(http[k % 2], `r${i + k}`)))));
    return out;
  }

  /** Most admissions in any 1-second window (sliding: every window ending at an admission). */
  function maxAdmissionsInAnySecond(all: Row[]): number {
    const times = all
      .filter((r) => r.activated_at_ms !== null)
      .map((r) => Number(r.activated_at_ms))
      .sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j] <= times[i] - 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  it('a rush on both replicas: one token per user, the cap and the per-second rate hold, FIFO, positions agree and never increase', async () => {
    await start({
      QUEUE_MAX_ACTIVE: '12',
      QUEUE_ADMIT_PER_SECOND: '5',
      QUEUE_ACTIVE_TTL_SECONDS: '600',
      QUEUE_WAITING_IDLE_SECONDS: '600',
      QUEUE_POLL_THROTTLE: 'false',
    });
    const crowd = await users(100);
    // Every user clicks on both replicas at once (twice on one), while both run admission cycles.
    const [answers] = await Promise.all([
      Promise.all(crowd.map((u) => Promise.all([0, 1, 0].map((k) => http[k].post('/queue/token').set(u.auth))))),
      cycleEverywhere(5),
    ]);
    const stored = await rows();
    expect(stored).to.have.length(100);
    const seqOf = new Map(stored.map((r) => [r.user_id, r.seq]));
    const tickets = new Map<number, Ticket>();
    crowd.forEach((u, i) => {
      const res = answers[i];
      expect(res.map((r) => r.status).sort(), JSON.stringify(res.map((r) => r.body))).to.deep.equal([200, 200, 201]);
      expect(new Set(res.map((r) => r.body.token)).size).to.equal(1);
      expect(new Set(res.map((r) => r.body.position)).size, 'the same place whichever replica answered').to.equal(1);
      tickets.set(u.id, res[0].body);
    });
    // Nobody was waiting when the first five came: they went in at once, within the per-second rate; FIFO by arrival order.
    const bySeq = [...crowd].sort((a, b) => seqOf.get(a.id)! - seqOf.get(b.id)!);
    expect(bySeq.map((u) => tickets.get(u.id)!.position)).to.deep.equal([0, 0, 0, 0, 0, ...Array.from({ length: 95 }, (_, i) => i + 1)]);
    expect(bySeq.slice(0, 5).every((u) => tickets.get(u.id)!.status === 'ACTIVE')).to.equal(true);

    const last = new Map(crowd.map((u) => [u.id, tickets.get(u.id)!.position]));
    for (let step = 0; step < 5; step++) {
      clock.advance(500);
      await cycleEverywhere(3);
      clock.advance(500);
      const now = await rows();
      expect(now.filter((r) => r.status === 'ACTIVE').length).to.be.at.most(12);
      // Each user asks a replica (alternating); a second user asks both: the same answer.
      const polls = await Promise.all(
        crowd.map((u, i) => http[(i + step) % 2].get('/queue/status').set(u.auth).set('X-Queue-Token', tickets.get(u.id)!.token)),
      );
      crowd.forEach((u, i) => {
        const t: Ticket = polls[i].body;
        expect(polls[i].status).to.equal(200);
        if (t.status === 'WAITING') expect(t.position, `user ${u.id} moved back`).to.be.at.most(last.get(u.id)!);
        last.set(u.id, t.status === 'WAITING' ? t.position : 0);
      });
      const probe = bySeq[50];
      const both = await Promise.all(http.map((h) => h.get('/queue/status').set(probe.auth).set('X-Queue-Token', tickets.get(probe.id)!.token)));
      expect(both[0].body.position).to.equal(both[1].body.position);
    }
    const all = await rows();
    const active = all.filter((r) => r.status === 'ACTIVE');
    expect(active).to.have.length(12);
    expect(maxAdmissionsInAnySecond(all)).to.be.at.most(5);
    // FIFO: exactly the first 12 arrivals are in.
    expect(all.slice(0, 12).every((r) => r.status === 'ACTIVE')).to.equal(true);
    const admin = await loginAdmin(http[1]);
    const overviews = await Promise.all(http.map((h) => h.get('/admin/queue').set(admin.auth)));
    for (const o of overviews) expect(o.body).to.include({ waiting: 88, active: 12 });
  });

  it('the poll throttle holds across replicas: a poll on one replica right after a poll on the other gets 429', async () => {
    await start({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '10', QUEUE_WAITING_IDLE_SECONDS: '120' });
    const [first, waiter] = await users(2);
    await http[0].post('/queue/token').set(first.auth).expect(201);
    const ticket: Ticket = (await http[1].post('/queue/token').set(waiter.auth).expect(201)).body;
    clock.advance(ticket.pollAfterSeconds * 1000);
    const onFirst = await http[0].get('/queue/status').set(waiter.auth).set('X-Queue-Token', ticket.token);
    expect(onFirst.status).to.equal(200);
    clock.advance(100);
    // Concurrent polls on both replicas: every one refused, since the last answered poll is shared.
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => http[i % 2].get('/queue/status').set(waiter.auth).set('X-Queue-Token', ticket.token)));
    expect(burst.map((r) => r.status)).to.deep.equal([429, 429, 429, 429, 429, 429]);
    expect(Number(burst[1].headers['retry-after'])).to.be.at.least(1);
    clock.advance(onFirst.body.pollAfterSeconds * 1000);
    expect((await http[1].get('/queue/status').set(waiter.auth).set('X-Queue-Token', ticket.token)).status).to.equal(200);
  });

  it('idle waiters are dropped once, however many replicas run the cycle at the same moment; both replicas then say EXPIRED', async () => {
    await start({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '10', QUEUE_WAITING_IDLE_SECONDS: '60' });
    const crowd = await users(21);
    const tickets: Ticket[] = [];
    for (const [i, u] of crowd.entries()) tickets.push((await http[i % 2].post('/queue/token').set(u.auth).expect(201)).body);
    clock.advance(60_000);
    await cycleEverywhere(4);
    const all = await rows();
    expect(all.filter((r) => r.status === 'ACTIVE')).to.have.length(1);
    const dropped = all.filter((r) => r.end_reason === 'IDLE');
    expect(dropped).to.have.length(20);
    expect(new Set(dropped.map((r) => r.user_id))).to.deep.equal(new Set(crowd.slice(1).map((u) => u.id)));
    for (const [i, u] of crowd.slice(1).entries())
      expect(
        (
          await http[i % 2]
            .get('/queue/status')
            .set(u.auth)
            .set('X-Queue-Token', tickets[i + 1].token)
        ).body.status,
      ).to.equal('EXPIRED');
    const admin = await loginAdmin(http[0]);
    expect((await http[1].get('/admin/queue').set(admin.auth)).body).to.include({ waiting: 0, active: 1 });
  });

  it('Redis loses the state mid-sale (its keys deleted): rebuilt from the database, nobody lost, nobody admitted twice', async () => {
    await start({
      QUEUE_MAX_ACTIVE: '3',
      QUEUE_ADMIT_PER_SECOND: '100',
      QUEUE_ACTIVE_TTL_SECONDS: '600',
      QUEUE_WAITING_IDLE_SECONDS: '600',
      QUEUE_POLL_THROTTLE: 'false',
    });
    const crowd = await users(10);
    const tickets: Ticket[] = [];
    for (const [i, u] of crowd.entries()) tickets.push((await http[i % 2].post('/queue/token').set(u.auth).expect(201)).body);
    expect(tickets.map((t) => (t.status === 'ACTIVE' ? 'A' : t.position))).to.deep.equal(['A', 'A', 'A', 1, 2, 3, 4, 5, 6, 7]);
    const before = await rows();

    expect(await deleteKeysUnder(`${namespace}:`)).to.be.greaterThan(5);
    // Both replicas find the state gone at once; one rebuilds, the other waits for it.
    const after = await Promise.all(crowd.map((u, i) => http[i % 2].get('/queue/status').set(u.auth).set('X-Queue-Token', tickets[i].token)));
    expect(after.map((r) => r.status)).to.deep.equal(crowd.map(() => 200));
    expect(after.map((r) => (r.body.status === 'ACTIVE' ? 'A' : r.body.position))).to.deep.equal(['A', 'A', 'A', 1, 2, 3, 4, 5, 6, 7]);
    expect(after.slice(0, 3).map((r) => r.body.pass.expiresAt)).to.deep.equal(tickets.slice(0, 3).map((t) => t.pass!.expiresAt));
    // A repeated join still answers the stored token (one live token per user survives the loss).
    expect((await http[1].post('/queue/token').set(crowd[5].auth)).body.token).to.equal(tickets[5].token);

    // The cycle on both replicas admits nobody more (the cap is full), and a leaver's slot goes to the next one, once.
    await cycleEverywhere(3);
    await http[0].delete('/queue/token').set(crowd[0].auth).set('X-Queue-Token', tickets[0].token).expect(204);
    clock.advance(1000);
    await cycleEverywhere(3);
    const final = await rows();
    expect(final.filter((r) => r.status === 'ACTIVE').map((r) => r.user_id)).to.deep.equal([crowd[1].id, crowd[2].id, crowd[3].id]);
    // The first admissions were not made again: same activation time and pass expiry as before the loss.
    for (const i of [1, 2]) {
      const was = before.find((r) => r.user_id === crowd[i].id)!;
      const is = final.find((r) => r.user_id === crowd[i].id)!;
      expect([Number(is.activated_at_ms), Number(is.expires_at_ms)]).to.deep.equal([Number(was.activated_at_ms), Number(was.expires_at_ms)]);
    }
    expect(final.filter((r) => r.activated_at_ms !== null)).to.have.length(4);
    expect(final).to.have.length(10);
    const moved = await http[1].get('/queue/status').set(crowd[4].auth).set('X-Queue-Token', tickets[4].token);
    expect(moved.body.position).to.equal(1);
  });
});
