import { Redis } from 'ioredis';
import type { ServerRole } from './backends';

/**
 * What the waiting room costs in Redis: the server's used memory (`INFO memory`, the whole
 * instance, so other users of a shared Redis add noise) and the memory of this system's own keys
 * (`MEMORY USAGE … SAMPLES 0`, exact).
 */
export async function redisMemory(url: string, namespace: string): Promise<{ usedBytes: number; keysBytes: number }> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info('memory');
    const usedBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    let keysBytes = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) keysBytes += Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    } while (cursor !== '0');
    return { usedBytes, keysBytes };
  } finally {
    client.disconnect();
  }
}

/** Deletes a run's keys (only its own namespaces: the Redis may be shared). */
export function deleteRedisNamespaces(redis: { url: string; namespace: Record<ServerRole, string> }): Promise<number> {
  return deleteRedisKeys(redis.url, Object.values(redis.namespace));
}

/** Deletes every key of the namespaces (`<namespace>:*`), and says how many there were. */
export async function deleteRedisKeys(url: string, namespaces: string[]): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for (const namespace of namespaces) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.del(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  } finally {
    client.disconnect();
  }
}
