import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DB_URL, DEFAULT_NATS_URL, DEFAULT_REDIS_URL } from '../bench/lib/options';
import type { Topology } from './schedule';

export interface ChaosOptions {
  seed: number;
  kills: number;
  topology: Topology;
  /** The fault window, in seconds. */
  durationSeconds: number;
  users: number;
  db: 'sqlite' | 'postgres';
  dbUrl: string;
  natsUrl: string;
  queueStore: 'memory' | 'redis';
  /** Queue services in the split topology (more than one needs the Redis store). */
  queueReplicas: number;
  /** Times the queue's Redis state is deleted during the window. */
  redisFlushes: number;
  redisUrl: string;
  reportPath: string;
  keep: boolean;
}

export const USAGE = `npm run chaos -- --seed N --kills K [flags]

  --seed N             the seed of the fault schedule (default: a random one, printed); the same
                       seed, kills, topology and duration give the same schedule
  --kills K            kill -9s during the fault window (default 10)
  --topology T         monolith (default) or split (a gateway and a process per module, on
                       PostgreSQL and NATS JetStream)
  --duration S         length of the fault window in seconds (default 6 s per kill, at least 30;
                       8 s per kill in the split topology, at least 40)
  --users U            simulated buyers (default 30)
  --db B               the monolith's database: sqlite (default) or postgres
  --db-url URL         PostgreSQL server that may create databases and roles (default ${DEFAULT_DB_URL})
  --nats-url URL       NATS JetStream server of the split topology (default ${DEFAULT_NATS_URL})
  --queue-store S      the waiting room's live state: memory (default) or redis
  --queue-replicas N   queue services in the split topology (default 1; more need --queue-store redis);
                       each replica is a kill target of its own
  --redis-flushes F    times the queue's Redis keys are deleted during the window (default: one per
                       5 kills, at least 1, with --queue-store redis; 0 otherwise)
  --redis-url URL      Redis of the queue store (default ${DEFAULT_REDIS_URL})
  --report FILE        where to write the report (default: the temp directory, printed)
  --keep               keep the run's databases and NATS stream instead of deleting them`;

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${value}`);
  return n;
}

export function parseOptions(argv: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      kills: { type: 'string' },
      topology: { type: 'string' },
      duration: { type: 'string' },
      users: { type: 'string' },
      db: { type: 'string' },
      'db-url': { type: 'string' },
      'nats-url': { type: 'string' },
      'queue-store': { type: 'string' },
      'queue-replicas': { type: 'string' },
      'redis-flushes': { type: 'string' },
      'redis-url': { type: 'string' },
      report: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const topology = (values.topology ?? 'monolith') as Topology;
  if (topology !== 'monolith' && topology !== 'split') throw new Error(`--topology must be monolith or split, not ${values.topology}`);
  const db = (values.db ?? (topology === 'split' ? 'postgres' : 'sqlite')) as ChaosOptions['db'];
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db must be sqlite or postgres, not ${values.db}`);
  if (topology === 'split' && db !== 'postgres') throw new Error('the split topology runs on PostgreSQL only');
  const seed = integer('seed', values.seed, Math.floor(Math.random() * 1_000_000), 0, 2 ** 32 - 1);
  const kills = integer('kills', values.kills, 10, 0, 10_000);
  const defaultDuration = topology === 'split' ? Math.max(40, 8 * kills) : Math.max(30, 6 * kills);
  const durationSeconds = integer('duration', values.duration, defaultDuration, 5, 86_400);
  const queueStore = (values['queue-store'] ?? 'memory') as ChaosOptions['queueStore'];
  if (queueStore !== 'memory' && queueStore !== 'redis') throw new Error(`--queue-store must be memory or redis, not ${values['queue-store']}`);
  const queueReplicas = integer('queue-replicas', values['queue-replicas'], 1, 1, 8);
  if (queueReplicas > 1 && (topology !== 'split' || queueStore !== 'redis'))
    throw new Error('--queue-replicas above 1 needs --topology split and --queue-store redis');
  const redisFlushes = integer('redis-flushes', values['redis-flushes'], queueStore === 'redis' ? Math.max(1, Math.round(kills / 5)) : 0, 0, 10_000);
  if (redisFlushes > 0 && queueStore !== 'redis') throw new Error('--redis-flushes needs --queue-store redis');
  return {
    seed,
    kills,
    topology,
    durationSeconds,
    users: integer('users', values.users, 30, 1, 10_000),
    db,
    dbUrl: values['db-url'] ?? DEFAULT_DB_URL,
    natsUrl: values['nats-url'] ?? DEFAULT_NATS_URL,
    queueStore,
    queueReplicas,
    redisFlushes,
    redisUrl: values['redis-url'] ?? DEFAULT_REDIS_URL,
    reportPath: values.report ?? path.join(os.tmpdir(), 'ticketing-chaos', `chaos-${topology}-seed-${seed}-kills-${kills}.md`),
    keep: values.keep ?? false,
  };
}

/** The command that replays a run: the same schedule and workload sizes. */
export function replayCommand(o: ChaosOptions): string {
  const db = o.topology === 'monolith' && o.db === 'postgres' ? ' --db postgres' : '';
  const queue = o.queueStore === 'redis' ? ` --queue-store redis --queue-replicas ${o.queueReplicas} --redis-flushes ${o.redisFlushes}` : '';
  return `npm run chaos -- --seed ${o.seed} --kills ${o.kills} --topology ${o.topology} --duration ${o.durationSeconds} --users ${o.users}${db}${queue}`;
}
