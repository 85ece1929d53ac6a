import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { Redis } from 'ioredis';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { QueueSettings } from '../../queue.settings';
import { LocalUserTurns, type UserTurns } from '../user-turns';

/** A lock outlives a replica that died holding it by this much at most. */
const LOCK_TTL_MS = 5000;
const RETRY_MS = 15;
/** Deletes the lock only if it is still this holder's (it may have expired and been taken since). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One at a time per user across every queue replica: this process's turn first (so a replica
 * never contends with itself), then a lock in Redis (`SET … NX PX`), which expires if its holder
 * dies. Without it, joins of one user to two rooms on two replicas at the same instant would
 * each count the rooms before the other's token was written, and together pass the room limit.
 */
@injectable()
export class RedisUserTurns implements UserTurns {
  private readonly local = new LocalUserTurns();
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(
    @inject(PLATFORM.Settings) settings: QueueSettings,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {
    if (settings.store.kind !== 'redis') throw new Error('RedisUserTurns needs QUEUE_STORE=redis');
    this.prefix = `${settings.store.keyPrefix}user-turn:`;
    this.redis = new Redis(settings.store.url, { maxRetriesPerRequest: 3, connectTimeout: 5000 });
    this.redis.on('error', (err) => this.logger.warn({ err: err.message }, 'queue: redis connection error (user turns)'));
  }

  run<T>(userId: number, work: () => Promise<T>): Promise<T> {
    return this.local.run(userId, async () => {
      const key = `${this.prefix}${userId}`;
      const holder = randomBytes(12).toString('base64url');
      // Waits at most the lock's lifetime: by then a holder that died has lost it.
      const deadline = Date.now() + LOCK_TTL_MS + 1000;
      while ((await this.redis.set(key, holder, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
        if (Date.now() > deadline) throw new Error(`queue: the turn of user ${userId} is still held after ${LOCK_TTL_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
      try {
        return await work();
      } finally {
        await this.redis
          .eval(RELEASE, 1, key, holder)
          .catch((err: Error) => this.logger.warn({ err: err.message, userId }, 'queue: could not release a user turn'));
      }
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
