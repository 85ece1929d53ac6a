import { expect } from 'chai';
import type { QueueSettings } from '../../src/modules/queue/queue.settings';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { eventually, loginAdmin } from '../support/test-app';
import { testRedis } from '../support/test-redis';
import { describeOnStore, join, type QueueTestApp, queueApp, tick } from './queue-test-kit';
import { mintUsers } from './rooms-kit';

const WAITING = 3000;

/**
 * Lifting the cap over a long line on Redis: the admissions go in batches (one script, one
 * transaction and one confirmation each), the next batch right after the last, until the line is
 * in; nothing is left pending. Unbounded, 100 000 at once overflowed the confirmation call and left
 * the reservations pending.
 */
describeOnStore('redis', 'queue on Redis: a lifted cap over a long line', () => {
  let app: QueueTestApp;
  afterEach(async () => app?.stop());

  it(`admits ${WAITING} waiting users in batches, following each other at once, and leaves nothing pending`, async function () {
    this.timeout(60_000);
    app = await queueApp({ QUEUE_MAX_ACTIVE: '1', QUEUE_ADMIT_PER_SECOND: '100000', QUEUE_POLL_THROTTLE: 'false' });
    const admin = await loginAdmin(app.http);
    const users = mintUsers(app, WAITING + 1, 700_000);
    for (let i = 0; i < users.length; i += 100) await Promise.all(users.slice(i, i + 100).map((u) => join(app.http, u)));
    const tokens = app.platform.database('queue').knex('queue_tokens');
    const activeCount = async () => Number((await tokens.clone().where({ status: 'ACTIVE' }).count({ n: '*' }).first())?.n);
    expect(await activeCount()).to.equal(1);

    expect((await app.http.patch('/admin/queue').set(admin.auth).send({ maxActive: 100_000 })).status).to.equal(200);
    await tick(app, 1000);
    expect(await activeCount(), 'one cycle lets in one batch, not the whole line').to.be.below(WAITING + 1);
    // Each full batch kicks the next cycle: no timer tick is needed for the rest.
    await eventually(async () => (await activeCount()) === WAITING + 1, undefined, 20_000);
    const store = app.platform.container('queue').get<QueueSettings>(PLATFORM.Settings).store;
    if (store.kind !== 'redis') throw new Error('expected the Redis store');
    const redis = testRedis();
    try {
      expect(await redis.zcard(`${store.keyPrefix}pending`)).to.equal(0);
      expect(await redis.zcard(`${store.keyPrefix}waiting`)).to.equal(0);
    } finally {
      redis.disconnect();
    }
  });
});
