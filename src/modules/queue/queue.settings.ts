import { z } from 'zod';
import { envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

export interface QueueSettings {
  /** The configured flow; an operator may override both at run time (`PATCH /admin/queue`). */
  maxActive: number;
  admitPerSecond: number;
  activeTtlSeconds: number;
  waitingIdleSeconds: number;
  /** Answer 429 to a token polled much faster than its `pollAfterSeconds` (off only for load tests). */
  pollThrottle: boolean;
  /** A user may hold places in at most this many on-sale rooms at once (the default room aside). */
  maxRoomsPerUser: number;
  /** Where the live state is kept (ADR 0011): this process's memory, or Redis (shared by every replica). */
  store: { kind: 'memory' } | { kind: 'redis'; url: string; keyPrefix: string };
}

export const queueSettings = moduleSettings(
  {
    QUEUE_MAX_ACTIVE: envVar.int(1, 1_000_000).default(1000),
    QUEUE_ADMIT_PER_SECOND: envVar.int(1, 100_000).default(100),
    QUEUE_ACTIVE_TTL_SECONDS: envVar.int(10, 24 * 3600).default(600),
    QUEUE_WAITING_IDLE_SECONDS: envVar.int(10, 24 * 3600).default(120),
    QUEUE_POLL_THROTTLE: envVar.boolean.default(true),
    QUEUE_MAX_ROOMS_PER_USER: envVar.int(1, 100).default(3),
    QUEUE_STORE: z.enum(['memory', 'redis'], { error: 'must be memory or redis' }).default('memory'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// (or rediss://) URL')
      .default('redis://127.0.0.1:6379'),
    // The platform validates it; here it only names the system's keys in Redis, as it names its stream on the broker.
    BUS_NAMESPACE: z.string().optional(),
  },
  (v): QueueSettings => ({
    maxActive: v.QUEUE_MAX_ACTIVE,
    admitPerSecond: v.QUEUE_ADMIT_PER_SECOND,
    activeTtlSeconds: v.QUEUE_ACTIVE_TTL_SECONDS,
    waitingIdleSeconds: v.QUEUE_WAITING_IDLE_SECONDS,
    pollThrottle: v.QUEUE_POLL_THROTTLE,
    maxRoomsPerUser: v.QUEUE_MAX_ROOMS_PER_USER,
    store: v.QUEUE_STORE === 'memory' ? { kind: 'memory' } : { kind: 'redis', url: v.REDIS_URL, keyPrefix: `${v.BUS_NAMESPACE ?? 'ticketing'}:{queue}:` },
  }),
);
