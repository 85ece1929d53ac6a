import { randomBytes } from 'node:crypto';
import path from 'node:path';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import type { DatabaseStorage } from '../db/open-database';
import { systemDatabaseName } from '../db/postgres/provision';

export const MODULE_NAMES = ['auth', 'queue', 'concert', 'reservation', 'payment', 'data-platform', 'notification'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = z.url({ protocol: /^https?$/ });

/** How environment variables are read, for the platform and for every module's own settings. */
export const envVar = { boolean, int, url };

/**
 * The platform's own settings, with their defaults. Each module declares and reads its own
 * (`<module>.settings.ts`); nothing else reads process.env.
 */
const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL (leave it unset for SQLite files under DATA_DIR)' }).optional(),
  DATABASE_POOL_MAX: int(1, 100).default(5),
  MODULES: z.string().default(MODULE_NAMES.join(',')),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_EXPIRES_IN_SECONDS: int(60, 7 * 24 * 3600).default(3600),
  QUEUE_PASS_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TICKET_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(30),
  BODY_LIMIT_BYTES: int(1024, 1024 * 1024).default(16 * 1024),
  REQUEST_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  TRUST_PROXY: z.string().default('loopback'),
  CORS_ORIGINS: z.string().optional(),
  BUS_MAX_ATTEMPTS: int(1, 100).default(8),
  BUS_RETRY_BASE_MS: int(1, 60_000).default(200),
  BUS_SWEEP_INTERVAL_MS: int(10, 60_000).default(1000),
  SHUTDOWN_GRACE_MS: int(0, 120_000).default(10_000),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\/[^\s]+$/, 'must be a nats:// (or tls://) URL, or several separated by commas')
    .optional(),
  HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address to listen on' }).default('0.0.0.0'),
  INSTANCE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1 to 100 letters, digits, _ . : or -')
    .optional(),
  TOPOLOGY: z.enum(['monolith', 'split']).default('monolith'),
  SERVICE_URLS: z.string().optional(),
  GATEWAY_RATE_LIMIT_PER_MINUTE: int(1, 10_000_000).default(120_000),
  QUEUE_REPLICAS: int(1, 32).default(1),
  BUS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
    .optional(),
});

export type Env = z.input<typeof schema>;

export interface AppConfig {
  env: 'production' | 'development' | 'test';
  /** The environment as read (empty values dropped): each module reads its own variables from it. */
  environment: Readonly<Record<string, string>>;
  port: number;
  /** The address to listen on (HOST); a service behind the split topology's gateway listens on 127.0.0.1. */
  host: string;
  /** `:memory:` keeps every module database in memory (tests). */
  dataDir: string;
  /** SQLite files under `dataDir`, or, with DATABASE_URL, a PostgreSQL database and role per module. */
  database: DatabaseStorage;
  modules: ModuleName[];
  jwt: { secret: string; expiresInSeconds: number; issuer: string; audience: string; generated: boolean };
  queuePass: { secret: string; issuer: string; audience: string; generated: boolean };
  /** The key e-tickets are signed with (TICKET_SECRET): the modules that show tickets and the one that scans them share it. */
  tickets: { secret: string; generated: boolean };
  logLevel: string;
  authRateLimitPerMinute: number;
  bodyLimitBytes: number;
  http: {
    /** Express's `trust proxy`: which peers' X-Forwarded-For is believed (so per-IP limits count the real client). */
    trustProxy: boolean | number | string[];
    /** Origins allowed to call the API from a browser (CORS); empty: no CORS headers at all. */
    corsOrigins: string[];
    /** Longest time to receive a whole request (headers and body); a trickled body is cut off after it. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
  };
  /**
   * `split`: this process is the gateway and supervisor of one process per module (TOPOLOGY);
   * `serviceUrls` are the services that run elsewhere (SERVICE_URLS), which it does not start.
   */
  /** This process's name among the replicas of its modules (INSTANCE_NAME); default: the module list. */
  instanceName: string | null;
  topology: {
    kind: 'monolith' | 'split';
    serviceUrls: Partial<Record<ModuleName, string>>;
    gatewayRateLimitPerMinute: number;
    /** Processes of the queue service the split topology's supervisor starts (each one its own port and INSTANCE_NAME). */
    queueReplicas: number;
  };
  bus: {
    maxAttempts: number;
    retryBaseMs: number;
    sweepIntervalMs: number;
    /** With NATS_URL: events travel through NATS JetStream, in this system's namespace; null: in process. */
    broker: { url: string; namespace: string } | null;
  };
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment; the first bad variable stops start-up with its name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const e = parsed.data;
  const modules = e.MODULES.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const m of modules) {
    if (!(MODULE_NAMES as readonly string[]).includes(m))
      throw new ConfigError('MODULES', `names an unknown module "${m}" (known: ${MODULE_NAMES.join(', ')})`);
  }
  if (modules.length === 0) throw new ConfigError('MODULES', 'selects no module');
  if (e.DATABASE_URL) {
    try {
      systemDatabaseName(e.DATABASE_URL);
    } catch (err) {
      throw new ConfigError('DATABASE_URL', `names ${(err as Error).message}`);
    }
  }
  if (e.QUEUE_REPLICAS > 1) checkQueueReplicas(e.TOPOLOGY, e.DATABASE_URL, cleaned.QUEUE_STORE);
  const jwtSecret = e.JWT_SECRET ?? randomBytes(48).toString('base64url');
  return {
    env: e.NODE_ENV,
    environment: Object.freeze(cleaned),
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR === ':memory:' ? ':memory:' : path.resolve(e.DATA_DIR),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
      : { kind: 'sqlite', dataDir: e.DATA_DIR === ':memory:' ? ':memory:' : path.resolve(e.DATA_DIR) },
    modules: modules as ModuleName[],
    jwt: {
      secret: jwtSecret,
      expiresInSeconds: e.JWT_EXPIRES_IN_SECONDS,
      issuer: 'ticketing/auth',
      audience: 'ticketing/api',
      generated: e.JWT_SECRET === undefined,
    },
    // The pass has a key of its own, never derived from the login secret: a leaked JWT_SECRET cannot mint passes.
    queuePass: {
      secret: e.QUEUE_PASS_SECRET ?? randomBytes(48).toString('base64url'),
      issuer: 'ticketing/queue',
      audience: 'ticketing/queue-pass',
      generated: e.QUEUE_PASS_SECRET === undefined,
    },
    // E-tickets have a key of their own too: neither a login secret nor a pass key can mint a ticket.
    tickets: { secret: e.TICKET_SECRET ?? randomBytes(48).toString('base64url'), generated: e.TICKET_SECRET === undefined },
    logLevel: e.LOG_LEVEL,
    authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    http: {
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      corsOrigins: parseOrigins(e.CORS_ORIGINS),
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: Math.min(10_000, e.REQUEST_TIMEOUT_MS),
    },
    bus: {
      maxAttempts: e.BUS_MAX_ATTEMPTS,
      retryBaseMs: e.BUS_RETRY_BASE_MS,
      sweepIntervalMs: e.BUS_SWEEP_INTERVAL_MS,
      broker: e.NATS_URL ? { url: e.NATS_URL, namespace: e.BUS_NAMESPACE ?? defaultNamespace(e.DATABASE_URL, e.DATA_DIR) } : null,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    instanceName: e.INSTANCE_NAME ?? null,
    topology: {
      kind: e.TOPOLOGY,
      serviceUrls: parseServiceUrls(e.SERVICE_URLS),
      gatewayRateLimitPerMinute: e.GATEWAY_RATE_LIMIT_PER_MINUTE,
      queueReplicas: e.QUEUE_REPLICAS,
    },
  };
}

/**
 * Several queue replicas share one waiting room (ADR 0011): its live state must be in Redis, and its
 * periodic jobs run once through the PostgreSQL leadership (an SQLite file has one process).
 */
function checkQueueReplicas(topology: string, databaseUrl: string | undefined, queueStore: string | undefined): void {
  if (topology !== 'split') throw new ConfigError('QUEUE_REPLICAS', 'applies to TOPOLOGY=split (a monolith is one process)');
  if (!databaseUrl) throw new ConfigError('QUEUE_REPLICAS', 'above 1 needs PostgreSQL (DATABASE_URL): SQLite module files have one process each');
  if (queueStore !== 'redis')
    throw new ConfigError('QUEUE_REPLICAS', 'above 1 needs QUEUE_STORE=redis: the in-memory store keeps the waiting room in one process');
}

/** `payment=http://10.0.0.5:3000,auth=http://10.0.0.6:3000`: where the services that run elsewhere answer. */
function parseServiceUrls(value: string | undefined): Partial<Record<ModuleName, string>> {
  const urls: Partial<Record<ModuleName, string>> = {};
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, url, ...rest] = entry.split('=');
    if (!(MODULE_NAMES as readonly string[]).includes(name) || rest.length > 0 || !url)
      throw new ConfigError('SERVICE_URLS', `has "${entry}": each entry must be <module>=<http URL>, with a module among ${MODULE_NAMES.join(', ')}`);
    if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(url)) throw new ConfigError('SERVICE_URLS', `has "${entry}": ${url} is not an http(s) address`);
    if (urls[name as ModuleName]) throw new ConfigError('SERVICE_URLS', `names ${name} twice`);
    urls[name as ModuleName] = url.replace(/\/$/, '');
  }
  return urls;
}

/** `false`, `true`, a hop count, or addresses and subnets (with proxy-addr's names `loopback`, `linklocal`, `uniquelocal`). */
function parseTrustProxy(value: string): boolean | number | string[] {
  const v = value.trim().toLowerCase();
  if (v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 100) throw new ConfigError('TRUST_PROXY', `trusts ${hops} hops; a hop count must be at most 100`);
    return hops;
  }
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError('TRUST_PROXY', 'is empty: use false, true, a hop count or addresses/subnets');
  for (const entry of list) {
    try {
      proxyAddr.compile(entry);
    } catch {
      throw new ConfigError('TRUST_PROXY', `has "${entry}", which is not an IP address, a subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`);
    }
  }
  return list;
}

/** Comma-separated origins, each exactly `scheme://host[:port]`. */
function parseOrigins(value: string | undefined): string[] {
  if (value === undefined) return [];
  const origins: string[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      url = null;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError('CORS_ORIGINS', `has "${entry}", which is not an origin such as https://tickets.example.com (scheme, host and port only)`);
    }
    origins.push(url.origin);
  }
  return origins;
}

/**
 * The system's name on the broker when BUS_NAMESPACE is unset: its PostgreSQL system database's
 * name, or its data directory's, so two systems sharing one NATS never see each other's events.
 */
function defaultNamespace(databaseUrl: string | undefined, dataDir: string): string {
  const base = databaseUrl ? systemDatabaseName(databaseUrl) : path.basename(path.resolve(dataDir));
  return `ticketing_${base}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}
