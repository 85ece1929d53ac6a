import { expect } from 'chai';
import { loginAdmin, signupAndLogin, type TestUser } from '../support/test-app';
import { describeOnEachStore, overview, type QueueTestApp, queueApp, T0, type Ticket, tick } from './queue-test-kit';

interface Row {
  seq: number;
  user_id: number;
  status: string;
  activated_at_ms: number | null;
}

describeOnEachStore('queue: capacity and admission rate', () => {
  let app: QueueTestApp;

  afterEach(() => app.stop());

  async function rows(): Promise<Row[]> {
    return app.platform.database('queue').knex('queue_tokens').orderBy('seq');
  }

  /** Per clock second since T0, how many tokens were admitted. */
  function admissionsPerSecond(all: Row[]): Map<number, number> {
    const out = new Map<number, number>();
    for (const r of all) {
      if (r.activated_at_ms === null) continue;
      const second = Math.floor((Number(r.activated_at_ms) - T0) / 1000);
      out.set(second, (out.get(second) ?? 0) + 1);
    }
    return out;
  }

  it('200 concurrent token requests from 200 users: never more admitted than the rate or the cap allow, FIFO, distinct exact positions', async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '12', QUEUE_ADMIT_PER_SECOND: '5', QUEUE_ACTIVE_TTL_SECONDS: '600', QUEUE_WAITING_IDLE_SECONDS: '600' });
    const admin = await loginAdmin(app.http);
    const users: TestUser[] = [];
    for (let i = 0; i < 200; i += 20) users.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => signupAndLogin(app.http, `rush${i + k}`)))));

    // The admission cycle runs concurrently with the rush, as its timer would.
    const [responses] = await Promise.all([
      Promise.all(users.map((u) => app.http.post('/queue/token').set(u.auth))),
      Promise.all(Array.from({ length: 10 }, () => app.platform.runJob('queue', 'admit'))),
    ]);
    expect(responses.map((r) => r.status)).to.deep.equal(users.map(() => 201));
    const tickets: Ticket[] = responses.map((r) => r.body);
    expect(tickets.filter((t) => t.status === 'ACTIVE')).to.have.length(5);
    const positions = tickets.filter((t) => t.status === 'WAITING').map((t) => t.position);
    expect([...positions].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 195 }, (_, i) => i + 1));

    // Positions follow arrival order (the database's sequence), and the admitted ones arrived first.
    const bySeq = await rows();
    const tokenOf = new Map(users.map((u, i) => [u.id, tickets[i]]));
    bySeq.forEach((row, index) => {
      const t = tokenOf.get(row.user_id) as Ticket;
      expect(t.position).to.equal(index < 5 ? 0 : index - 4);
    });

    // Half a second later the per-second budget is still spent.
    await tick(app, 500);
    expect((await overview(app.http, admin)).active).to.equal(5);

    // Each further second admits 5, until the cap of 12 stops it.
    const activeAfter: number[] = [];
    for (let s = 0; s < 4; s++) {
      await tick(app, 500);
      await Promise.all([tick(app), tick(app), tick(app)]);
      activeAfter.push((await overview(app.http, admin)).active);
      app.clock.advance(500);
    }
    expect(activeAfter).to.deep.equal([10, 12, 12, 12]);

    const all = await rows();
    for (const [, count] of admissionsPerSecond(all)) expect(count).to.be.at.most(5);
    expect(all.filter((r) => r.status === 'ACTIVE')).to.have.length(12);
    // FIFO: exactly the first 12 arrivals are active.
    expect(all.slice(0, 12).every((r) => r.status === 'ACTIVE')).to.equal(true);
    expect(all.slice(12).every((r) => r.status === 'WAITING')).to.equal(true);
    const o = await overview(app.http, admin);
    expect(o).to.include({ waiting: 188, active: 12, admissionsPerMinute: 12 });
  });

  it('never exceeds the cap while slots free and refill under concurrent joins, leaves and admission cycles', async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '10', QUEUE_ADMIT_PER_SECOND: '1000', QUEUE_ACTIVE_TTL_SECONDS: '600', QUEUE_WAITING_IDLE_SECONDS: '600' });
    const users: TestUser[] = [];
    for (let i = 0; i < 60; i++) users.push(await signupAndLogin(app.http, `churn${i}`));
    const first = await Promise.all(users.slice(0, 30).map((u) => app.http.post('/queue/token').set(u.auth)));
    const activeUsers = first.map((r, i) => ({ r, u: users[i] })).filter(({ r }) => r.body.status === 'ACTIVE');
    expect(activeUsers).to.have.length(10);

    // Active users leave while newcomers join and the cycle runs: freed slots are refilled, never overfilled.
    await Promise.all([
      ...activeUsers.slice(0, 6).map(({ r, u }) => app.http.delete('/queue/token').set(u.auth).set('X-Queue-Token', r.body.token)),
      ...users.slice(30).map((u) => app.http.post('/queue/token').set(u.auth)),
      ...Array.from({ length: 10 }, () => app.platform.runJob('queue', 'admit')),
    ]);
    await tick(app, 1000);
    const all = await rows();
    expect(all.filter((r) => r.status === 'ACTIVE')).to.have.length(10);
    // Leavers' slots went to the head of the queue: the 6 earliest waiting arrivals.
    const waitingOrActive = all.filter((r) => r.status === 'ACTIVE' || r.status === 'WAITING');
    expect(waitingOrActive.slice(0, 10).every((r) => r.status === 'ACTIVE')).to.equal(true);
  });

  it('200 concurrent token requests from one user yield one token', async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '1' });
    const someoneElse = await signupAndLogin(app.http, 'first');
    await app.http.post('/queue/token').set(someoneElse.auth).expect(201);
    const user = await signupAndLogin(app.http, 'eager');
    const responses = await Promise.all(Array.from({ length: 200 }, () => app.http.post('/queue/token').set(user.auth)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).to.have.length(1);
    expect(statuses.filter((s) => s === 200)).to.have.length(199);
    expect(new Set(responses.map((r) => r.body.token)).size).to.equal(1);
    expect(new Set(responses.map((r) => r.body.position))).to.deep.equal(new Set([1]));
    const stored = await app.platform.database('queue').knex('queue_tokens').where({ user_id: user.id });
    expect(stored).to.have.length(1);
  });

  it('200 concurrent token requests from one user while capacity is free: one token, admitted once', async () => {
    app = await queueApp({ QUEUE_MAX_ACTIVE: '50', QUEUE_ADMIT_PER_SECOND: '50' });
    const admin = await loginAdmin(app.http);
    const user = await signupAndLogin(app.http, 'eager');
    const responses = await Promise.all(Array.from({ length: 200 }, () => app.http.post('/queue/token').set(user.auth)));
    expect(responses.filter((r) => r.status === 201)).to.have.length(1);
    expect(new Set(responses.map((r) => r.body.token)).size).to.equal(1);
    expect(new Set(responses.map((r) => r.body.status))).to.deep.equal(new Set(['ACTIVE']));
    const o = await overview(app.http, admin);
    expect(o).to.include({ active: 1, waiting: 0, admissionsPerMinute: 1 });
  });
});
