import { Redis } from 'ioredis';

/**
 * The Redis the queue's Redis-store tests use: TEST_REDIS_URL (`.ci/run` sets it to the local
 * server; unset or unreachable, those tests are skipped and the run says so, unless
 * TEST_REQUIRE_REDIS=1, which makes it a failure). Every test system gets a key namespace of its
 * own (`BUS_NAMESPACE`, which prefixes the queue's keys); every key under this run's prefix is
 * deleted when the run ends.
 */
export const redisUrl = process.env.TEST_REDIS_URL;

const run = `tq${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let namespaces = 0;
let used = false;
let skippedTests = 0;
let reachable: Promise<string | null> | null = null;
const byDataDir = new Map<string, string>();

/** A key namespace nobody has used (or the one standing for a data directory a test restarts on). */
export function freshRedisNamespace(dataDir?: string): string {
  const known = dataDir ? byDataDir.get(dataDir) : undefined;
  if (known) return known;
  namespaces += 1;
  used = true;
  const name = `${run}_${namespaces}`;
  if (dataDir) byDataDir.set(dataDir, name);
  return name;
}

const otherNamespaces = new Set<string>();

/** A namespace made elsewhere (e.g. a broker test's) whose queue keys this run must delete too. */
export function trackRedisNamespace(namespace: string): string {
  otherNamespaces.add(namespace);
  return namespace;
}

/** The environment that puts a test app's queue on Redis, in a namespace of its own. */
export function redisQueueEnv(dataDir?: string): Record<string, string> {
  if (!redisUrl) throw new Error('redisQueueEnv needs TEST_REDIS_URL (call requireRedis first)');
  return { QUEUE_STORE: 'redis', REDIS_URL: redisUrl, BUS_NAMESPACE: freshRedisNamespace(dataDir) };
}

/** A client for a test's own checks (delete it with `quit`). */
export function testRedis(): Redis {
  if (!redisUrl) throw new Error('testRedis needs TEST_REDIS_URL');
  return new Redis(redisUrl, { maxRetriesPerRequest: 1 });
}

function whyUnreachable(): Promise<string | null> {
  reachable ??= (async () => {
    if (!redisUrl) return 'TEST_REDIS_URL is not set';
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return null;
    } catch (err) {
      return `Redis at ${redisUrl} is unreachable: ${(err as Error).message}`;
    } finally {
      client.disconnect();
    }
  })();
  return reachable;
}

/** Skips a suite without a reachable Redis (and counts it for the run's summary); with TEST_REQUIRE_REDIS=1 that is a failure. */
export async function requireRedis(context: Mocha.Context): Promise<void> {
  const why = await whyUnreachable();
  if (why === null) return;
  // CI asks for every test: there a missing Redis is a failure, not a reason to skip.
  if (process.env.TEST_REQUIRE_REDIS === '1') throw new Error(`TEST_REQUIRE_REDIS=1 but ${why}`);
  skippedTests += context.test?.parent?.total() ?? 1;
  context.skip();
}

/** Deletes every key this run created (only under its own prefix: the shared Redis is never flushed); says plainly what was not run. */
export async function deleteCreatedKeys(): Promise<void> {
  if (skippedTests > 0) console.log(`\nRedis tests NOT run (${skippedTests}): set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them.`);
  if (!redisUrl) return;
  if (used) await deleteKeysUnder(`${run}_`);
  for (const namespace of otherNamespaces) await deleteKeysUnder(`${namespace}:`);
  otherNamespaces.clear();
}

/** Deletes every key under a prefix (a test's own namespace): what a flush of that system's Redis state looks like. */
export async function deleteKeysUnder(prefix: string): Promise<number> {
  const client = testRedis();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
