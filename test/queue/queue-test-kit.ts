import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { QUEUE_STORE, type QueueStore } from '../../src/modules/queue/queue-store';
import type { AccessTokens } from '../../src/platform/auth/access-token';
import type { QueuePasses } from '../../src/platform/auth/queue-pass';
import type { Outbox } from '../../src/platform/bus/outbox';
import { ManualClock } from '../../src/platform/clock/clock';
import { createHttpApp } from '../../src/platform/http/create-http-app';
import { defineRoute } from '../../src/platform/http/route';
import { Metrics } from '../../src/platform/metrics/metrics';
import type { Platform } from '../../src/platform/platform';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app';
import { redisQueueEnv, requireRedis } from '../support/test-redis';

export type QueueStoreKind = 'memory' | 'redis';

/** The store the suite being run holds the queue to (set by `describeOnEachStore`). */
let currentStore: QueueStoreKind = 'memory';

/**
 * The queue's behaviour is the same whichever store keeps its live state: every suite declared
 * here runs once on the in-memory store and once on Redis (skipped, and reported, without a
 * reachable TEST_REDIS_URL; a failure with TEST_REQUIRE_REDIS=1).
 */
export function describeOnEachStore(title: string, body: () => void): void {
  for (const store of ['memory', 'redis'] as const) describeOnStore(store, `${title} [${store} store]`, body);
}

/** A suite held to one store (a Redis one skips itself without Redis, or fails with TEST_REQUIRE_REDIS=1). */
export function describeOnStore(store: QueueStoreKind, title: string, body: () => void): void {
  describe(title, () => {
    before(async function () {
      if (store === 'redis') await requireRedis(this);
      currentStore = store;
    });
    after(() => {
      currentStore = 'memory';
    });
    body();
  });
}

/** The environment that puts a test app on the current suite's store (a data directory keeps its Redis namespace across a restart). */
export function storeEnv(dataDir?: string): Record<string, string> {
  return currentStore === 'redis' ? redisQueueEnv(dataDir) : {};
}

/** Whole-second start, so pass expiries (whole seconds) are easy to reason about. */
export const T0 = Date.parse('2030-01-01T00:00:00Z');

export interface QueueTestApp extends TestApp {
  clock: ManualClock;
}

/** `periodicJobs: false`: the bus runs, the jobs only when the test runs them (so none runs in between its own steps). */
export async function queueApp(
  env: Record<string, string> = {},
  options: { dataDir?: string; clock?: ManualClock; periodicJobs?: boolean } = {},
): Promise<QueueTestApp> {
  const clock = options.clock ?? new ManualClock(T0);
  const app = await createTestApp({
    env: { ...storeEnv(options.dataDir), ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}), ...env },
    clock,
    start: options.periodicJobs !== false,
  });
  if (options.periodicJobs === false) app.platform.bus.start();
  // The suite says which store it holds the queue to: make sure that is the one answering.
  const store = app.platform.container('queue').get<QueueStore>(QUEUE_STORE);
  expect(store.constructor.name).to.equal(currentStore === 'redis' ? 'RedisQueueStore' : 'MemoryQueueStore');
  return Object.assign(app, { clock });
}

export interface Ticket {
  token: string;
  status: 'WAITING' | 'ACTIVE' | 'EXPIRED' | 'COMPLETED';
  position: number;
  estimatedWaitSeconds: number;
  pollAfterSeconds: number;
  pass?: { token: string; expiresAt: string };
}

/** `body`: e.g. `{ concertId }` for a concert's room. */
export async function join(http: TestAgent, user: TestUser, expectedStatus: 200 | 201 = 201, body?: object): Promise<Ticket> {
  const res = body === undefined ? await http.post('/queue/token').set(user.auth) : await http.post('/queue/token').set(user.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(expectedStatus);
  return res.body;
}

export async function poll(http: TestAgent, user: TestUser, token: string): Promise<Ticket> {
  const res = await http.get('/queue/status').set(user.auth).set('X-Queue-Token', token);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body;
}

export async function leave(http: TestAgent, user: TestUser, token: string): Promise<void> {
  const res = await http.delete('/queue/token').set(user.auth).set('X-Queue-Token', token);
  expect(res.status, JSON.stringify(res.body)).to.equal(204);
}

/** Moves time on and runs one admission cycle (expire, then admit), as the 200 ms job would. */
export async function tick(app: QueueTestApp, ms = 0): Promise<void> {
  app.clock.advance(ms);
  await app.platform.runJob('queue', 'admit');
}

export async function overview(http: TestAgent, admin: TestUser): Promise<Record<string, number>> {
  const res = await http.get('/admin/queue').set(admin.auth);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body;
}

/** Publishes a real `reservation.success` through the reservation module's outbox, as that module does. */
export async function publishReservationSuccess(platform: Platform, userId: number, reservationId: number, concertId = 1): Promise<void> {
  const outbox = platform.container('reservation').get<Outbox>(PLATFORM.Outbox);
  await platform.database('reservation').transaction((trx) =>
    outbox.publish(trx, 'reservation.success', reservationId, {
      reservationId,
      userId,
      concertId,
      scheduleId: 1,
      seatId: reservationId,
      seatLabel: `A-${reservationId}`,
      price: 50_000,
      paymentId: reservationId,
      confirmedAt: new Date(platform.clock.now()).toISOString(),
    }),
  );
}

/**
 * A separate HTTP app built with the kernel's own `createHttpApp`, holding one route declared
 * `queuePass: true`: it verifies passes with the platform's keys and clock only, never asking
 * the queue (the stateless check the spec requires). It shares nothing with the queue but the keys.
 */
export function protectedSite(platform: Platform): TestAgent {
  const app = createHttpApp(
    {
      config: platform.config,
      clock: platform.clock,
      logger: platform.logger,
      metrics: new Metrics(),
      accessTokens: platform.root.get<AccessTokens>(PLATFORM.AccessTokens),
      queuePasses: platform.root.get<QueuePasses>(PLATFORM.QueuePasses),
    },
    [
      {
        moduleName: 'probe',
        routes: [
          defineRoute({
            method: 'get',
            path: '/behind-the-waiting-room',
            summary: 'probe',
            tags: ['probe'],
            access: 'user',
            queuePass: true,
            responses: { 200: { description: 'ok' } },
            handle: async ({ user }) => ({ status: 200, body: { userId: user.id } }),
          }),
        ],
      },
    ],
  );
  return request(app);
}
