import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, loginAdmin, type TestApp } from '../support/test-app';
import { freshDatabaseUrl, onPostgres } from '../support/test-backend';
import { freshRedisNamespace, redisUrl, requireRedis } from '../support/test-redis';
import { T0 } from './queue-test-kit';
import { mintUsers, publishConcert, type RoomTicket } from './rooms-kit';

/**
 * A room's opening with two replicas of the queue service on one PostgreSQL system and one Redis
 * namespace (ADR 0012): joins reach either replica, both try to open the room at once, and
 * still the pre-queue is shuffled once, every token gets one place, and both replicas agree on it.
 */
describe('queue: a room’s opening on two replicas (Redis and PostgreSQL)', function () {
  this.timeout(120_000);
  let replicas: TestApp[] = [];
  let http: TestAgent[] = [];
  let clock: ManualClock;

  before(async function () {
    if (!onPostgres) return this.skip();
    await requireRedis(this);
    clock = new ManualClock(T0);
    const shared = {
      DATABASE_URL: freshDatabaseUrl(),
      QUEUE_STORE: 'redis',
      REDIS_URL: redisUrl!,
      BUS_NAMESPACE: freshRedisNamespace(),
      QUEUE_POLL_THROTTLE: 'false',
      QUEUE_WAITING_IDLE_SECONDS: '600',
    };
    for (const name of ['queue-1', 'queue-2']) {
      const app = await createTestApp({ clock, env: { ...shared, INSTANCE_NAME: name } });
      const address: AddressInfo = await app.platform.listen(0, '127.0.0.1');
      replicas.push(app);
      http.push(request(`http://127.0.0.1:${address.port}`));
    }
  });
  after(async () => {
    for (const app of replicas) await app.stop();
    replicas = [];
    http = [];
  });

  it('joins on both replicas form one pre-queue; openings raced on both shuffle it once; both answer the same places', async () => {
    const admin = await loginAdmin(http[0]);
    await publishConcert(replicas[0].platform, 77);
    const created = await http[0]
      .post('/admin/queue/rooms')
      .set(admin.auth)
      .send({ concertId: 77, opensAt: new Date(T0 + 30_000).toISOString(), maxActive: 3, admitPerSecond: 100 });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const users = mintUsers(replicas[0], 120);
    // Each user clicks on both replicas at once: one pre-queue token each.
    const answers = await Promise.all(users.map((u) => Promise.all(http.map((h) => h.post('/queue/token').set(u.auth).send({ concertId: 77 })))));
    const tickets: RoomTicket[] = answers.map((pair) => {
      expect(pair.map((r) => r.status).sort(), JSON.stringify(pair.map((r) => r.body))).to.deep.equal([200, 201]);
      expect(pair[0].body.token).to.equal(pair[1].body.token);
      expect(pair[0].body.status).to.equal('PRE_QUEUE');
      return pair[0].body;
    });
    clock.advance(30_000);
    await Promise.all(replicas.flatMap((r) => [r.platform.runJob('queue', 'open-rooms'), r.platform.runJob('queue', 'open-rooms')]));
    const knex = replicas[0].platform.database('queue').knex;
    const places: Array<{ place: number }> = await knex('queue_prequeue').orderBy('place').select('place');
    expect(places.map((p) => p.place)).to.deep.equal(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(Number((await knex('queue_tokens').where({ live_user_id: null }).orWhereNotNull('live_user_id').count({ n: '*' }).first())!.n)).to.equal(120);
    const rooms = await Promise.all(http.map((h) => h.get('/admin/queue/rooms').set(admin.auth)));
    for (const r of rooms) expect(r.body.items[0]).to.include({ state: 'OPEN', preQueue: 0, waiting: 117, active: 3 });
    // Both replicas give each token the same place: the three let in at once, then 1…117.
    const polls = await Promise.all(
      users.map((u, i) => Promise.all(http.map((h) => h.get('/queue/status').set(u.auth).set('X-Queue-Token', tickets[i].token)))),
    );
    const positions = polls.map(([a, b]) => {
      expect(a.body.position).to.equal(b.body.position);
      return a.body.position as number;
    });
    expect(positions.filter((p) => p === 0)).to.have.length(3);
    expect(positions.filter((p) => p > 0).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 117 }, (_, i) => i + 1));
  });

  it('a user joining more open rooms than allowed at once, on both replicas, gets exactly QUEUE_MAX_ROOMS_PER_USER places', async () => {
    const admin = await loginAdmin(http[0]);
    const concerts = [901, 902, 903, 904];
    for (const concertId of concerts) {
      await publishConcert(replicas[0].platform, concertId);
      const created = await http[0].post('/admin/queue/rooms').set(admin.auth).send({ concertId, maxActive: 1000, admitPerSecond: 1000 });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
    }
    // Every replica must know the rooms before the race (they re-read them every second).
    clock.advance(1500);
    const users = mintUsers(replicas[0], 12, 500_000);
    // Each user clicks all four rooms at once, two on each replica.
    const answers = await Promise.all(
      users.map((u) => Promise.all(concerts.map((concertId, i) => http[i % 2].post('/queue/token').set(u.auth).send({ concertId })))),
    );
    for (const [i, four] of answers.entries()) {
      const statuses = four.map((r) => r.status).sort();
      expect(statuses, `user ${users[i].id}: ${JSON.stringify(four.map((r) => r.body))}`).to.deep.equal([201, 201, 201, 409]);
      expect(four.find((r) => r.status === 409)!.body.code).to.equal('QUEUE_ROOM_LIMIT_REACHED');
    }
  });
});
