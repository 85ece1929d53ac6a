import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, bearer } from '../bench/lib/api';
import {
  checkPostgresServer,
  deleteSplitStreams,
  dropPostgresSystems,
  type ModuleStore,
  type PostgresServer,
  postgresSystemUrls,
  splitNamespaces,
} from '../bench/lib/backends';
import { ADMIN, benchServer, MAIN_SCRIPT } from '../bench/lib/bench-servers';
import { deleteRedisKeys } from '../bench/lib/redis-memory';
import type { ServerProcess } from '../bench/lib/server-process';
import { MODULE_NAMES } from '../platform/config/config';
import { sleep } from './fake-gateway';
import type { KillTarget, Topology } from './schedule';

export interface SystemOptions {
  topology: Topology;
  /** The monolith's database: SQLite files (default) or PostgreSQL; the split topology always runs on PostgreSQL. */
  db: 'sqlite' | 'postgres';
  dbUrl: string;
  natsUrl: string;
  /** The waiting room's store; with redis, its keys live under this run's namespace and are deleted at the end. */
  queueStore: 'memory' | 'redis';
  queueReplicas: number;
  redisUrl: string;
  /** On top of the bench servers' environment: the waiting room, the holds, the fakes' URLs. */
  env: Record<string, string>;
  log: (msg: string) => void;
}

interface ServiceInfo {
  name: string;
  module: string;
  pid: number | null;
  status: string;
  restarts: number;
  consumerLag?: { pending: number; ackPending: number } | null;
}

/**
 * The system under test, started from the compiled `main` on fresh data (a temporary directory,
 * or a new PostgreSQL system and NATS namespace), killed with -9 and started again on the same
 * data as the schedule says, and deleted at the end, whether the run passed, failed or was
 * interrupted.
 */
export class ChaosSystem {
  readonly api: Api;
  admin: Record<string, string> = {};
  /** Kills done, and restarts of the whole system (the monolith, or the split after its supervisor died). */
  kills = 0;
  restarts = 0;
  /** Services that outlived their killed supervisor. */
  readonly orphans: string[] = [];
  private constructor(
    private readonly options: SystemOptions,
    private readonly server: ServerProcess,
    private readonly postgres: PostgresServer | null,
    /** The run's temporary directory: SQLite files under `data/`. */
    readonly root: string,
    /** The namespace of the queue's Redis keys (`<namespace>:{queue}:…`), with the Redis store. */
    private readonly redisNamespace: string | null,
  ) {
    this.api = new Api(server.url);
  }

  static async create(options: SystemOptions): Promise<ChaosSystem> {
    const onPostgres = options.topology === 'split' || options.db === 'postgres';
    let postgres: PostgresServer | null = null;
    let env: Record<string, string | undefined> = { ...options.env, DATABASE_URL: undefined };
    if (onPostgres) {
      postgres = { ...(await checkPostgresServer(options.dbUrl)), system: chaosSystemName() };
      env = { ...env, DATABASE_URL: postgresSystemUrls(postgres).main };
      if (options.topology === 'split')
        env = {
          ...env,
          TOPOLOGY: 'split',
          NATS_URL: options.natsUrl,
          BUS_NAMESPACE: splitNamespaces(postgres).main,
          GATEWAY_RATE_LIMIT_PER_MINUTE: '10000000',
        };
    }
    let redisNamespace: string | null = null;
    if (options.queueStore === 'redis') {
      // The split's bus namespace is the queue's key namespace too; a monolith gets one of its own.
      redisNamespace = env.BUS_NAMESPACE ?? chaosSystemName();
      env = { ...env, BUS_NAMESPACE: redisNamespace, QUEUE_STORE: 'redis', REDIS_URL: options.redisUrl, QUEUE_REPLICAS: String(options.queueReplicas) };
    }
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-chaos-'));
    const server = await benchServer({ root, nodeArgs: [], profile: false }, options.topology, MAIN_SCRIPT, 'data', 'profile', env);
    return new ChaosSystem(options, server, postgres, root, redisNamespace);
  }

  get url(): string {
    return this.server.url;
  }

  /** Where the module databases are, for the checker's read-only queries. */
  get store(): ModuleStore {
    return this.postgres ? { kind: 'postgres', url: postgresSystemUrls(this.postgres).main } : { kind: 'sqlite', dataDir: path.join(this.root, 'data') };
  }

  describe(): string {
    const queue =
      this.redisNamespace === null
        ? ''
        : `; waiting room on Redis ${this.options.redisUrl} (keys ${this.redisNamespace}:*)${this.options.queueReplicas > 1 ? `, ${this.options.queueReplicas} queue replicas` : ''}`;
    if (!this.postgres) return `monolith on SQLite in ${this.root}${queue}`;
    const where = `PostgreSQL ${this.postgres.version} at ${this.postgres.address}, system ${this.postgres.system}`;
    return `${this.options.topology === 'split' ? `split topology on ${where}, NATS namespace ${splitNamespaces(this.postgres).main}` : `monolith on ${where}`}${queue}`;
  }

  /** Deletes the waiting room's Redis state (as a flushed or restarted Redis would lose it); returns how many keys went. */
  async flushQueueState(): Promise<number> {
    if (this.redisNamespace === null) throw new Error('the waiting room is not on Redis in this run');
    return deleteRedisKeys(this.options.redisUrl, [this.redisNamespace]);
  }

  async start(): Promise<void> {
    await this.server.start('/health/ready');
    await this.waitReady(60_000);
    const login = await this.api.ok('POST', '/auth/login', {}, ADMIN);
    this.admin = bearer(login.accessToken);
  }

  /** Until /health/ready answers 200 (every service up, in the split topology). */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(`${this.url}/health/ready`).catch(() => null);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`the system did not become ready within ${timeoutMs / 1000} s: ${this.server.stderr.slice(-1500)}`);
      await sleep(200);
    }
  }

  /** The split topology's services, from the gateway. */
  async services(): Promise<ServiceInfo[]> {
    const body = await this.api.ok('GET', '/admin/services', this.admin);
    return body.items as ServiceInfo[];
  }

  /**
   * kill -9 of the target. A service is started again by its supervisor; the monolith, or the
   * supervisor with its services, by this runner after `restartAfterMs`, on the same data. A
   * service that is down (still restarting from an earlier kill) is waited for first.
   * Returns what was killed.
   */
  async kill(target: KillTarget, restartAfterMs: number): Promise<string> {
    if (target === 'server' || target === 'supervisor') {
      const pid = this.server.pid;
      // Its services, the ones still starting included, as the kernel knows them.
      const services = pid && target === 'supervisor' ? childrenOf(pid) : [];
      const names = new Map(target === 'supervisor' ? (await this.services().catch(() => [])).map((x) => [x.pid, x.name]) : []);
      if (pid) process.kill(pid, 'SIGKILL');
      // Sent right after the SIGKILL, before this process can have seen the exit: stops the sampler and waits for the exit.
      await this.server.stop();
      this.kills += 1;
      // The services notice their supervisor is gone (IPC) and end; the next ones must not meet them.
      // One still alive after 20 s is an orphan: recorded (an invariant fails), and killed so the run goes on.
      for (const service of services) {
        if (await waitGone(service, 20_000)) continue;
        this.orphans.push(
          `service pid ${service} (${names.get(service) ?? 'a service still starting'}) was still running 20 s after its supervisor (pid ${pid}) was killed`,
        );
        try {
          process.kill(service, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      await sleep(restartAfterMs);
      await this.server.start('/health/ready');
      await this.waitReady(60_000);
      this.restarts += 1;
      return `${target} pid ${pid}`;
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const service = (await this.services().catch(() => [])).find((s) => s.name === target);
      if (service?.status === 'up' && service.pid && signal(service.pid, 'SIGKILL')) {
        this.kills += 1;
        return `${target} pid ${service.pid}`;
      }
      if (Date.now() > deadline) throw new Error(`service ${target} was not up within 60 s to be killed`);
      await sleep(200);
    }
  }

  /** The server's last stderr lines (its warnings and errors), for a failed run's report. */
  get stderr(): string {
    return this.server.stderr;
  }

  async stop(): Promise<void> {
    await this.server.stop().catch(() => undefined);
  }

  /** Stops the system and deletes everything the run made (data directory, PostgreSQL system, NATS stream) unless `keep`. */
  async cleanUp(keep: boolean): Promise<void> {
    await this.stop();
    if (keep) {
      this.options.log(`kept the data: ${this.describe()}`);
      return;
    }
    fs.rmSync(this.root, { recursive: true, force: true });
    if (this.redisNamespace !== null)
      await this.flushQueueState().catch((err) => this.options.log(`could not delete the Redis keys ${this.redisNamespace}:*: ${(err as Error).message}`));
    const postgres = this.postgres;
    if (!postgres) return;
    if (this.options.topology === 'split') await deleteSplitStreams(postgres, this.options.natsUrl).catch(() => undefined);
    await dropPostgresSystems(postgres).catch((err) => this.options.log(`could not drop the PostgreSQL system ${postgres.system}: ${(err as Error).message}`));
  }
}

/** A service of every module (every replica) up, and none with events waiting for it on the broker. */
export function servicesSettled(services: ServiceInfo[]): boolean {
  return (
    MODULE_NAMES.every((m) => services.some((s) => s.module === m)) &&
    services.every((s) => s.status === 'up' && (!s.consumerLag || (s.consumerLag.pending === 0 && s.consumerLag.ackPending === 0)))
  );
}

function chaosSystemName(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return `chaos_${stamp}_${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

/** Whether the process ended within the time. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!signal(pid, 0)) return true;
    await sleep(100);
  }
  return false;
}

/** Sends the signal; false when there is no such process (it ended since it was listed). */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The child processes of a process (Linux /proc; none elsewhere). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
