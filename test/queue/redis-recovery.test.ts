import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { KEY_NAMES, QUEUE_SCRIPTS, type QueueScriptName, scriptSource } from '../../src/modules/queue/infrastructure/redis/queue-scripts';
import { signupAndLogin, type TestUser } from '../support/test-app';
import { testRedis } from '../support/test-redis';
import { describeOnStore, join, poll, type QueueTestApp, queueApp, T0, type Ticket, tick } from './queue-test-kit';

/**
 * A replica stopping between its decision in Redis and its write to the database (ADR 0011): the
 * decision is left pending, nobody was told, and the leader's cycle settles it from the database
 * once the grace period (5 s) has passed. The "replica" here runs the same scripts and stops.
 */
describeOnStore('redis', 'queue on Redis: a replica stopping between its decision and its write', () => {
  let app: QueueTestApp;
  let redis: Redis;
  let keys: string[];

  const script = async (name: QueueScriptName, args: Array<string | number>): Promise<Record<string, unknown>> =>
    JSON.parse(await (redis as unknown as Record<string, (...a: Array<string | number>) => Promise<string>>)[name](...keys, ...args));
  const rowOf = (userId: number) => app.platform.database('queue').knex('queue_tokens').where({ user_id: userId }).orderBy('seq');

  beforeEach(async () => {
    app = await queueApp({
      QUEUE_MAX_ACTIVE: '2',
      QUEUE_ADMIT_PER_SECOND: '100',
      QUEUE_ACTIVE_TTL_SECONDS: '600',
      QUEUE_WAITING_IDLE_SECONDS: '600',
      QUEUE_POLL_THROTTLE: 'false',
    });
    redis = testRedis();
    for (const name of Object.keys(QUEUE_SCRIPTS) as QueueScriptName[]) redis.defineCommand(name, { numberOfKeys: KEY_NAMES.length, lua: scriptSource(name) });
    keys = KEY_NAMES.map((k) => `${app.platform.config.environment.BUS_NAMESPACE}:{queue}:${k}`);
  });
  afterEach(async () => {
    redis.disconnect();
    await app.stop();
  });

  it('a join decided but never inserted: counted in the order until the sweep drops it, and the user simply joins again', async () => {
    const [a, b, c, d] = [await signupAndLogin(app.http), await signupAndLogin(app.http), await signupAndLogin(app.http), await signupAndLogin(app.http)];
    await join(app.http, a);
    await join(app.http, b);
    const bTicket = await join(app.http, await signupAndLogin(app.http));
    expect(bTicket.position).to.equal(1);
    // The "replica" decides c's join and stops before the insert.
    const decided = await script('qJoin', [c.id, T0, 'X'.repeat(43), 600, 600, 20, T0 + 600_000]);
    expect(decided).to.include({ r: 'new', st: 'W' });
    const dTicket = await join(app.http, d);
    expect(dTicket.position).to.equal(3);
    expect(await rowOf(c.id)).to.have.length(0);

    await tick(app, 4_000);
    expect((await poll(app.http, d, dTicket.token)).position, 'inside the grace period').to.equal(3);
    await tick(app, 1_000);
    expect((await poll(app.http, d, dTicket.token)).position, 'the pending join is gone').to.equal(2);
    const again = await join(app.http, c);
    expect(again.token).to.not.equal('X'.repeat(43));
    expect(again.position).to.equal(3);
  });

  it('a user whose own join was left pending is answered from the database after a second (no 500)', async () => {
    const [a, b] = [await signupAndLogin(app.http), await signupAndLogin(app.http)];
    const decided = await script('qJoin', [a.id, T0, 'Y'.repeat(43), 600, 600, 20, T0 + 600_000]);
    // The insert committed; the replica stopped before confirming it in Redis.
    await app.platform
      .database('queue')
      .knex('queue_tokens')
      .insert({
        seq: decided.seq,
        token: 'Y'.repeat(43),
        user_id: a.id,
        live_user_id: a.id,
        status: 'ACTIVE',
        created_at_ms: T0,
        activated_at_ms: T0,
        expires_at_ms: decided.exp,
      });
    const res = await app.http.post('/queue/token').set(a.auth);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ token: 'Y'.repeat(43), status: 'ACTIVE' });
    // And one who was never inserted gets a fresh token instead.
    await script('qJoin', [b.id, T0, 'Z'.repeat(43), 600, 600, 20, T0 + 600_000]);
    const fresh = await app.http.post('/queue/token').set(b.auth);
    expect(fresh.status).to.equal(201);
    expect(fresh.body.token).to.not.equal('Z'.repeat(43));
    expect(await rowOf(b.id)).to.have.length(1);
  });

  it('an admission reserved but never written: nobody is shown a pass, the sweep rolls it forward once, with the reserved expiry', async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < 4; i++) users.push(await signupAndLogin(app.http));
    const tickets: Ticket[] = [];
    for (const u of users) tickets.push(await join(app.http, u));
    expect(tickets.map((t) => t.status)).to.deep.equal(['ACTIVE', 'ACTIVE', 'WAITING', 'WAITING']);
    // users[0] leaves: the "replica" reserves the freed slot for users[2] and stops before the activation.
    await app.platform
      .database('queue')
      .knex('queue_tokens')
      .where({ user_id: users[0].id })
      .update({ status: 'EXPIRED', end_reason: 'LEFT', live_user_id: null, ended_at_ms: T0 });
    const tokens = await app.platform.database('queue').knex('queue_tokens').where({ user_id: users[0].id }).first();
    await script('qForget', [tokens.seq]);
    const reserved = await script('qReserve', [T0 + 1000, T0 + 601_000, 1000]);
    expect(reserved.seqs).to.have.length(1);
    app.clock.advance(1000);
    expect(await poll(app.http, users[2], tickets[2].token)).to.include({ status: 'WAITING', position: 1 });
    expect((await rowOf(users[2].id))[0].status).to.equal('WAITING');

    await tick(app, 5_000);
    const admitted = await poll(app.http, users[2], tickets[2].token);
    expect(admitted.status).to.equal('ACTIVE');
    expect(admitted.pass?.expiresAt).to.equal(new Date(T0 + 601_000).toISOString());
    const [row] = await rowOf(users[2].id);
    expect([row.status, Number(row.activated_at_ms)]).to.deep.equal(['ACTIVE', T0 + 1000]);
    // The cap holds: users[3] still waits, at the head.
    await tick(app, 1_000);
    expect(await poll(app.http, users[3], tickets[3].token)).to.include({ status: 'WAITING', position: 1 });
  });
});
