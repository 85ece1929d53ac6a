import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { MODULE_NAMES } from '../../platform/config/config';
import { dropSystems, moduleAddress } from '../../platform/db/postgres/provision';
import type { BackendName, BenchOptions } from './options';

/** The main server under test, or the status scenario's control server (a second, separate system). */
export type ServerRole = 'main' | 'control';

/** Where a server's module databases are, for the invariant checks that read them. */
export type ModuleStore = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

/** A database backend the scenarios run on: how its servers are configured and where their data is. */
export interface Backend {
  readonly name: BackendName;
  /**
   * Appended to the backend's rows and invariant stages: '' on a SQLite-only run (today's names),
   * ' [sqlite]' / ' [postgres]' otherwise.
   */
  readonly label: string;
  /** Directory under the run's root for the server's data (SQLite files) and for its CPU profile. */
  dataDir(role: ServerRole): string;
  profileDir(role: ServerRole): string;
  /** Environment the server gets on top of the bench's own (an undefined value removes a variable). */
  env(role: ServerRole): Record<string, string | undefined>;
  store(role: ServerRole): ModuleStore;
  /** PostgreSQL's processes serving this server, for their CPU; null on SQLite. */
  databaseProcesses(role: ServerRole): ReadonlySet<string> | null;
  /** The monolith, or the split topology (a gateway supervising one process per module). */
  readonly topology: 'monolith' | 'split';
  /** With QUEUE_STORE=redis: the Redis and each role's key namespace (`<namespace>:{queue}:…`). */
  readonly redis?: { url: string; namespace: Record<ServerRole, string> };
  /** In the split topology: the NATS server and each role's JetStream stream. */
  readonly broker?: { url: string; stream: Record<ServerRole, string> };
}

/** What the bench learnt about the PostgreSQL server before it started anything. */
export interface PostgresServer {
  /** `--db-url`, with the credentials that may create databases and roles. */
  adminUrl: string;
  /** host:port, for messages and the report (never the password). */
  address: string;
  version: string;
  /** This run's system: every module's database and role is `<system>_<module>`. */
  system: string;
}

export function createBackends(options: BenchOptions, root: string, postgres: PostgresServer | null): Backend[] {
  const backends = options.queueStore === 'redis' ? [] : memoryStoreBackends(options, root, postgres);
  if (options.queueStore !== 'memory') {
    if (!postgres) throw new Error('the Redis queue store runs on PostgreSQL: its server must be checked first');
    for (const replicas of [1, options.queueReplicas]) backends.push(redisSplitBackend(postgres, options, replicas));
  }
  return backends;
}

function memoryStoreBackends(options: BenchOptions, root: string, postgres: PostgresServer | null): Backend[] {
  if (options.topology !== 'monolith') {
    if (!postgres) throw new Error('the split topology needs its PostgreSQL server checked first');
    const split = splitBackend(' [postgres, split]', postgres, options.natsUrl);
    return options.topology === 'both' ? [postgresBackend(' [postgres]', postgres), split] : [split];
  }
  const labelled = options.db !== 'sqlite' || options.queueStore !== 'memory';
  return options.backends.map((name) => {
    const label = labelled ? ` [${name}]` : '';
    if (name === 'sqlite') return sqliteBackend(root, label);
    if (!postgres) throw new Error('the PostgreSQL backend needs its server checked first');
    return postgresBackend(label, postgres);
  });
}

/** The split topology with the waiting room on Redis and `replicas` queue processes, a system and namespace of its own. */
function redisSplitBackend(postgres: PostgresServer, options: BenchOptions, replicas: number): Backend {
  const variant = `sr${replicas}`;
  const base = splitBackend(` [postgres, split, redis ×${replicas}]`, postgres, options.natsUrl, variant);
  return {
    ...base,
    env: (role) => ({ ...base.env(role), QUEUE_STORE: 'redis', REDIS_URL: options.redisUrl, QUEUE_REPLICAS: String(replicas) }),
    redis: { url: options.redisUrl, namespace: splitNamespaces(postgres, variant) },
  };
}

function sqliteBackend(root: string, label: string): Backend {
  const dirs = { main: { data: 'data', profile: 'profile' }, control: { data: 'control', profile: 'profile-control' } };
  return {
    name: 'sqlite',
    label,
    dataDir: (role) => dirs[role].data,
    profileDir: (role) => dirs[role].profile,
    // SQLite files under DATA_DIR, whatever DATABASE_URL the bench itself was started with.
    env: () => ({ DATABASE_URL: undefined }),
    store: (role) => ({ kind: 'sqlite', dataDir: path.join(root, dirs[role].data) }),
    databaseProcesses: () => null,
    topology: 'monolith',
  };
}

function postgresBackend(label: string, postgres: PostgresServer): Backend {
  const dirs = { main: { data: 'data-postgres', profile: 'profile-postgres' }, control: { data: 'control-postgres', profile: 'profile-control-postgres' } };
  return {
    name: 'postgres',
    label,
    dataDir: (role) => dirs[role].data,
    profileDir: (role) => dirs[role].profile,
    env: (role) => ({ DATABASE_URL: postgresSystemUrls(postgres)[role] }),
    store: (role) => ({ kind: 'postgres', url: postgresSystemUrls(postgres)[role] }),
    databaseProcesses: (role) => new Set(MODULE_NAMES.map((m) => moduleAddress(postgresSystemUrls(postgres)[role], m).database)),
    topology: 'monolith',
  };
}

/**
 * The split topology on PostgreSQL: the same server started with TOPOLOGY=split, a system of its
 * own (`<system>_sp`, control `<system>_spc`) and a broker namespace of the same name.
 */
function splitBackend(label: string, postgres: PostgresServer, natsUrl: string, variant = 'sp'): Backend {
  const dirs = {
    main: { data: `data-${variant}`, profile: `profile-${variant}` },
    control: { data: `control-${variant}`, profile: `profile-control-${variant}` },
  };
  const urls = splitSystemUrls(postgres, variant);
  return {
    name: 'postgres',
    label,
    dataDir: (role) => dirs[role].data,
    profileDir: (role) => dirs[role].profile,
    env: (role) => ({
      DATABASE_URL: urls[role],
      TOPOLOGY: 'split',
      NATS_URL: natsUrl,
      BUS_NAMESPACE: splitNamespaces(postgres, variant)[role],
      GATEWAY_RATE_LIMIT_PER_MINUTE: '10000000',
    }),
    store: (role) => ({ kind: 'postgres', url: urls[role] }),
    databaseProcesses: (role) => new Set(MODULE_NAMES.map((m) => moduleAddress(urls[role], m).database)),
    topology: 'split',
    broker: { url: natsUrl, stream: splitNamespaces(postgres, variant) },
  };
}

/** The split topology's systems: beside the monolith's, under names of their own. */
function splitSystemUrls(postgres: PostgresServer, variant = 'sp'): Record<ServerRole, string> {
  const url = (system: string) => {
    const u = new URL(postgres.adminUrl);
    u.pathname = `/${system}`;
    return u.toString();
  };
  const names = splitNamespaces(postgres, variant);
  return { main: url(names.main), control: url(names.control) };
}

/** The split topology's broker namespaces (the same names as its systems): `sp`, or a queue-store variant's `sr<n>`. */
export function splitNamespaces(postgres: PostgresServer, variant = 'sp'): Record<ServerRole, string> {
  return { main: `${postgres.system}_${variant}`, control: `${postgres.system}_${variant}c` };
}

/** Every split variant a run may have started (the memory store's, and the Redis runs'). */
function splitVariants(): string[] {
  return ['sp', ...Array.from({ length: 8 }, (_, i) => `sr${i + 1}`)];
}

/** The DATABASE_URL of the main server and of the control server: the admin URL with the system's name as its database. */
export function postgresSystemUrls(postgres: PostgresServer): Record<ServerRole, string> {
  const url = (system: string) => {
    const u = new URL(postgres.adminUrl);
    u.pathname = `/${system}`;
    return u.toString();
  };
  return { main: url(postgres.system), control: url(`${postgres.system}_ctl`) };
}

/** A new system name per run, `bench_<UTC time>_<random>`, short enough for every module's database name. */
export function newSystemName(now = new Date()): string {
  const time = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase();
  return `bench_${time}_${randomBytes(2).toString('hex')}`;
}

/**
 * Before anything starts: the server at `--db-url` answers, and its role may create the
 * databases and roles each server provisions for itself. Throws a message fit for the user.
 */
export async function checkPostgresServer(adminUrl: string): Promise<PostgresServer> {
  const u = new URL(adminUrl);
  const address = `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  const who = decodeURIComponent(u.username) || '(default user)';
  const connect = async (url: string) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  };
  let client: pg.Client;
  try {
    try {
      client = await connect(adminUrl);
    } catch (err) {
      // As the server's provisioning does: a URL naming a database that does not exist falls back to `postgres`.
      if ((err as { code?: string }).code !== '3D000') throw err;
      const fallback = new URL(adminUrl);
      fallback.pathname = '/postgres';
      client = await connect(fallback.toString());
    }
  } catch (err) {
    throw new Error(
      `PostgreSQL at ${address} (as ${who}) is unreachable: ${(err as Error).message || String(err)}. Start it, or point --db-url at a running server; nothing was started.`,
    );
  }
  try {
    const row = (
      await client.query(
        `select current_setting('server_version') as version, r.rolsuper, r.rolcreatedb, r.rolcreaterole
         from pg_roles r where r.rolname = current_user`,
      )
    ).rows[0] as { version: string; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean } | undefined;
    if (!row) throw new Error(`PostgreSQL at ${address}: cannot read the role ${who}`);
    if (!row.rolsuper && !(row.rolcreatedb && row.rolcreaterole))
      throw new Error(
        `PostgreSQL at ${address}: the role ${who} may not create databases and roles (needs CREATEDB and CREATEROLE), which every server of the bench provisions for itself; give --db-url such a role`,
      );
    return { adminUrl, address, version: row.version.split(' ')[0], system: newSystemName() };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops every module database and role of the run's systems (main and control). */
export async function dropPostgresSystems(postgres: PostgresServer): Promise<void> {
  const urls = postgresSystemUrls(postgres);
  const splits = splitVariants().flatMap((v) => Object.values(splitSystemUrls(postgres, v)));
  await dropSystems([urls.main, urls.control, ...splits], MODULE_NAMES);
}

/**
 * CPU of the PostgreSQL backends serving some databases, over a window: the node process is only
 * half of a PostgreSQL server's work. Reads /proc (the server must run on this machine; otherwise
 * nothing is found and no figure is given). A backend's title names its role and database
 * (`postgres: 15/main: <role> <database> 127.0.0.1(port) idle`).
 */
export class DatabaseCpu {
  private mark = new Map<number, number>();
  private markWallMs = 0;

  constructor(private readonly databases: ReadonlySet<string>) {}

  /** Starts a window. */
  start(): void {
    this.mark = this.sample();
    this.markWallMs = performance.now();
  }

  /** Cores the backends used since `start` (those that ended within the window are missed); undefined when none is visible. */
  coresUsed(): number | undefined {
    const now = this.sample();
    const wallSeconds = (performance.now() - this.markWallMs) / 1000;
    if (now.size === 0 || wallSeconds <= 0) return undefined;
    let seconds = 0;
    for (const [pid, cpu] of now) seconds += cpu - (this.mark.get(pid) ?? 0);
    return Math.max(0, seconds) / wallSeconds;
  }

  /** CPU seconds of each backend of these databases, by pid. */
  private sample(): Map<number, number> {
    const out = new Map<number, number>();
    let entries: string[];
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return out;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (!cmdline.startsWith('postgres:')) continue;
        if (!cmdline.split(/[\s\0]+/).some((token) => this.databases.has(token))) continue;
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // the process ended meanwhile
      }
    }
    return out;
  }
}

/** Deletes the split topology's streams from the broker (they are the run's, like its databases). */
export async function deleteSplitStreams(postgres: PostgresServer, natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for (const v of splitVariants()) for (const name of Object.values(splitNamespaces(postgres, v))) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
