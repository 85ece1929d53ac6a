import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIOS = ['login', 'status', 'rush', 'distinct', 'journey', 'onsale'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The database backends a server under test can run on. */
export const BACKENDS = ['sqlite', 'postgres'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** `--db`: one backend, or both in one run (each scenario on SQLite, then on PostgreSQL). */
export const DB_CHOICES = ['sqlite', 'postgres', 'both'] as const;
export type DbChoice = (typeof DB_CHOICES)[number];
export const DEFAULT_DB_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** `--topology`: the monolith, the split topology (a gateway and a process per module), or both side by side. */
export const TOPOLOGY_CHOICES = ['monolith', 'split', 'both'] as const;
export type TopologyChoice = (typeof TOPOLOGY_CHOICES)[number];
/** `--queue-store`: the waiting room's live state in the server's memory, in Redis, or both side by side. */
export const QUEUE_STORE_CHOICES = ['memory', 'redis', 'both'] as const;
export type QueueStoreChoice = (typeof QUEUE_STORE_CHOICES)[number];
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface BenchOptions {
  quick: boolean;
  durationSeconds: number;
  connections: number;
  users: number;
  rushUsers: number;
  rushSeats: number;
  journeyUsers: number;
  waitingLarge: number;
  /** Users in the on-sale's pre-queue. */
  preQueue: number;
  profile: boolean;
  /** Scenarios to run (`--only=status,rush`); the ceiling and the token burst always run. */
  only: ReadonlySet<Scenario>;
  /** Keep the data directory (databases, CPU profile) and the PostgreSQL databases instead of deleting them. */
  keep: boolean;
  reportPath: string;
  /** `--db` as given (sqlite by default). */
  db: DbChoice;
  /** The backends the scenarios run on, in the order they run each scenario. */
  backends: readonly BackendName[];
  /** `--db-url`: the PostgreSQL server, with credentials that may create databases and roles. */
  dbUrl: string;
  /** `--topology` as given (monolith by default); split and both run on PostgreSQL. */
  topology: TopologyChoice;
  /** `--nats-url`: the broker of the split topology. */
  natsUrl: string;
  /** `--queue-store` as given (memory by default); redis runs the split topology on PostgreSQL with 1 and `queueReplicas` queue replicas. */
  queueStore: QueueStoreChoice;
  /** `--queue-replicas`: the larger replica count of the Redis runs (the other is 1). */
  queueReplicas: number;
  /** `--redis-url`: the Redis of the queue-store runs. */
  redisUrl: string;
  /** Whether any server runs on PostgreSQL (so its server is checked first). */
  needsPostgres: boolean;
}

const SEATS_PER_SCHEDULE = 5_000;

export const USAGE = `npm run bench -- [flags]

  --quick              smaller sizes and 4 s runs (about a minute and a quarter)
  --only=LIST          run only these scenarios (${SCENARIOS.join(',')}); the ceiling and the
                       token burst always run. The report then goes to the temp directory.
  --report=FILE        where to write the Markdown report (default docs/performance.md)
  --profile            CPU-profile the servers, for the whole run and for each scenario
  --keep               keep the data directory (databases, profiles) and the PostgreSQL databases
  --db=BACKEND         sqlite (default), postgres, or both: every scenario on SQLite and then on
                       PostgreSQL in one run, each as a ratio to the same ceiling, rows marked
                       [sqlite] / [postgres]. PostgreSQL runs get a fresh system bench_<time>
                       (a database and role per module), dropped at the end unless --keep.
  --db-url=URL         the PostgreSQL server, as a role that may create databases and roles
                       (default ${DEFAULT_DB_URL}; its database part is not
                       used: each run names its own system). Unreachable: stops before starting.
  --topology=T         monolith (default), split (TOPOLOGY=split: a gateway and one process per
                       module, NATS JetStream between them) or both: the monolith and the split
                       side by side in one run, rows marked [postgres] / [postgres, split]. Split
                       runs on PostgreSQL (--db=postgres, the default with --topology)
  --nats-url=URL       the NATS JetStream server of the split topology (default ${DEFAULT_NATS_URL})
  --queue-store=S      memory (default), redis or both: with redis, the scenarios also run (or only
                       run) on the split topology on PostgreSQL with QUEUE_STORE=redis, once with
                       one queue replica and once with --queue-replicas, rows marked
                       [postgres, split, redis ×N]; the status rows then give Redis memory per
                       waiting user. Its keys are deleted at the end.
  --queue-replicas=N   queue replicas of the second Redis run (2)
  --redis-url=URL      the Redis of the queue-store runs (default ${DEFAULT_REDIS_URL})
  --duration=S         seconds per timed scenario (10; quick 4)
  --users=N            users signed up and queued (10000; quick 2000)
  --rush-users=N       users racing in the hold rush (5000; quick 2000)
  --seats=N            seats in the hold rush (1000; quick 500; at most 5000)
  --journey=N          users buying in the purchase journey (2000; quick 500; at most 5000)
  --waiting=N          waiting users for the large status case (100000; quick 10000)
  --pre-queue=N        users in the on-sale's pre-queue (20000, also quick)
  --connections=N      concurrent connections (50)
  --help               print this and exit`;

/**
 * Parses the bench's command line. Unknown flags are an error (a typo must not silently start an
 * eleven-minute run with defaults); `--help` returns 'help'.
 */
export function parseOptions(argv: string[], defaultReportPath: string): BenchOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      report: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      duration: { type: 'string' },
      users: { type: 'string' },
      'rush-users': { type: 'string' },
      seats: { type: 'string' },
      journey: { type: 'string' },
      waiting: { type: 'string' },
      'pre-queue': { type: 'string' },
      connections: { type: 'string' },
      db: { type: 'string' },
      'db-url': { type: 'string' },
      topology: { type: 'string' },
      'nats-url': { type: 'string' },
      'queue-store': { type: 'string' },
      'queue-replicas': { type: 'string' },
      'redis-url': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length) throw new Error(`unexpected argument ${positionals[0]} (see --help)`);
  const quick = values.quick === true;
  const num = (name: 'duration' | 'users' | 'rush-users' | 'seats' | 'journey' | 'waiting' | 'pre-queue' | 'connections', full: number, fast: number) => {
    const given = values[name];
    const v = given !== undefined ? Number(given) : quick ? fast : full;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, not ${given}`);
    return v;
  };
  const users = num('users', 10_000, 2_000);
  // Each scenario's seats are one schedule of the bench's concert, and a schedule has at most
  // 5 000 seats (the catalogue's limit): say so now, not after the servers have started.
  for (const name of ['seats', 'journey'] as const) {
    const given = values[name];
    if (given !== undefined && Number(given) > SEATS_PER_SCHEDULE)
      throw new Error(`--${name} must be at most ${SEATS_PER_SCHEDULE} (the seats of one schedule)`);
  }
  const only = (values.only ?? SCENARIOS.join(',')).split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  const topology = (values.topology ?? 'monolith') as TopologyChoice;
  if (!(TOPOLOGY_CHOICES as readonly string[]).includes(topology))
    throw new Error(`--topology must be one of ${TOPOLOGY_CHOICES.join(', ')}, not ${values.topology}`);
  const db = (values.db ?? (topology === 'monolith' ? 'sqlite' : 'postgres')) as DbChoice;
  if (topology !== 'monolith' && db !== 'postgres') throw new Error(`--topology=${topology} runs on PostgreSQL: leave --db out or give --db=postgres`);
  const natsUrl = values['nats-url'] ?? DEFAULT_NATS_URL;
  if (!/^nats:\/\/[^\s/]+$/.test(natsUrl)) throw new Error(`--nats-url must be a nats://host:port URL, not ${natsUrl}`);
  const queueStore = (values['queue-store'] ?? 'memory') as QueueStoreChoice;
  if (!(QUEUE_STORE_CHOICES as readonly string[]).includes(queueStore))
    throw new Error(`--queue-store must be one of ${QUEUE_STORE_CHOICES.join(', ')}, not ${values['queue-store']}`);
  const queueReplicas = values['queue-replicas'] === undefined ? 2 : Number(values['queue-replicas']);
  if (!Number.isInteger(queueReplicas) || queueReplicas < 2 || queueReplicas > 8)
    throw new Error(`--queue-replicas must be an integer from 2 to 8, not ${values['queue-replicas']}`);
  if (queueStore === 'memory' && (values['queue-replicas'] !== undefined || values['redis-url'] !== undefined))
    throw new Error('--queue-replicas and --redis-url need --queue-store=redis or --queue-store=both');
  const redisUrl = values['redis-url'] ?? DEFAULT_REDIS_URL;
  if (!/^redis:\/\/[^\s/]+\/?$/.test(redisUrl)) throw new Error(`--redis-url must be a redis://host:port URL, not ${redisUrl}`);
  if (values['nats-url'] !== undefined && topology === 'monolith' && queueStore === 'memory')
    throw new Error('--nats-url needs --topology=split or --topology=both (or --queue-store=redis)');
  if (!(DB_CHOICES as readonly string[]).includes(db)) throw new Error(`--db must be one of ${DB_CHOICES.join(', ')}, not ${values.db}`);
  const dbUrl = values['db-url'] ?? DEFAULT_DB_URL;
  let parsedUrl: URL | null = null;
  try {
    parsedUrl = new URL(dbUrl);
  } catch {
    parsedUrl = null;
  }
  if (!parsedUrl || !/^postgres(ql)?:$/.test(parsedUrl.protocol)) throw new Error(`--db-url must be a postgres:// URL, not ${dbUrl}`);
  if (values['db-url'] !== undefined && db === 'sqlite') throw new Error('--db-url needs --db=postgres or --db=both');
  return {
    quick,
    durationSeconds: num('duration', 10, 4),
    connections: num('connections', 50, 50),
    users,
    rushUsers: Math.min(users, num('rush-users', 5_000, 2_000)),
    rushSeats: num('seats', 1_000, 500),
    journeyUsers: Math.min(users, num('journey', 2_000, 500)),
    waitingLarge: num('waiting', 100_000, 10_000),
    preQueue: num('pre-queue', 20_000, 20_000),
    profile: values.profile === true,
    only: new Set(only as Scenario[]),
    keep: values.keep === true,
    // A partial run (--only) must not replace the published full report unless asked to.
    reportPath: values.report ?? (values.only !== undefined ? path.join(os.tmpdir(), 'ticketing-bench-report.md') : defaultReportPath),
    db,
    backends: db === 'both' ? BACKENDS : [db],
    dbUrl,
    topology,
    natsUrl,
    queueStore,
    queueReplicas,
    redisUrl,
    needsPostgres: (queueStore !== 'redis' && db !== 'sqlite') || queueStore !== 'memory',
  };
}
