import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type express from 'express';
import { Container } from 'inversify';
import type { DestinationStream } from 'pino';
import type { EventType } from '../contracts/events';
import { AccessTokens } from './auth/access-token';
import { QueuePasses } from './auth/queue-pass';
import { EventBus } from './bus/event-bus';
import { JetStreamTransport } from './bus/jetstream-transport';
import { type EventHandler, subscribe } from './bus/subscription';
import { type EventTransport, InProcessTransport } from './bus/transport';
import { type Clock, systemClock } from './clock/clock';
import { type AppConfig, ConfigError, MODULE_NAMES, type ModuleName } from './config/config';
import { newCorrelationId, runInContext } from './context/request-context';
import { migrationsRoot, type StoredDatabase } from './db/module-database';
import { openModuleDatabase } from './db/open-database';
import { provisionSystem } from './db/postgres/provision';
import { createHttpApp, type MountedRoutes } from './http/create-http-app';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { HEARTBEAT_INTERVAL_MS, ProcessIncarnations } from './idempotency/process-incarnations';
import { createLogger, type Logger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import type { Job, JobDefinition, ModuleDefinition, ModuleMetrics } from './module/module-definition';
import { operationsRoutes } from './operations/operations.routes';
import { PLATFORM } from './platform.di-tokens';
import { TicketCodes } from './tickets/ticket-codes';

const HANDLED_RECORD_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface PlatformOptions {
  config: AppConfig;
  modules: ModuleDefinition[];
  clock?: Clock;
  transport?: EventTransport;
  logDestination?: DestinationStream;
  /**
   * The role this process plays, for telling what a crashed predecessor left in flight (see
   * ProcessIncarnations): a process that starts replaces every older one of its slot. Default:
   * the modules it runs.
   */
  instanceSlot?: string;
  /**
   * Lets a process run only some modules on the in-process bus. Only for tests that play one
   * module alone and hand it the other modules' events themselves: otherwise events for the
   * missing modules' subscribers would be marked delivered and lost, so start-up refuses.
   */
  allowPartialModuleSet?: boolean;
}

interface LoadedModule {
  definition: ModuleDefinition;
  container: Container;
  db: StoredDatabase;
  jobs: JobDefinition[];
  /** Registered only where keyed (idempotent) routes keep keys in flight. */
  incarnations: ProcessIncarnations | null;
}

/**
 * Builds the process from module definitions: one database and one child container per module,
 * the bus, the HTTP app and the periodic jobs. It knows modules only through their definitions.
 */
export class Platform {
  readonly root: Container;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly bus: EventBus;
  private readonly transport: EventTransport;
  readonly metrics = new Metrics();
  readonly app: express.Express;
  private readonly loaded = new Map<ModuleName, LoadedModule>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly runningJobs = new Set<Promise<void>>();
  /** Every mounted route, by group (module name or `platform`): the source of the API documentation. */
  readonly routeGroups: MountedRoutes[] = [];
  private server: Server | null = null;
  private started = false;
  /** Set the moment stopping begins: readiness answers 503 and responses close their connections. */
  private stopping = false;
  private readonly shutdown = new AbortController();
  /** This process's id in every module database's incarnation record. */
  readonly incarnationId = randomUUID();

  private constructor(
    readonly config: AppConfig,
    options: PlatformOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = createLogger(config.logLevel, options.logDestination);
    this.transport = options.transport ?? new InProcessTransport();
    this.bus = new EventBus(this.transport, this.clock, this.logger, config.bus, this.shutdown.signal);
    const accessTokens = new AccessTokens({ ...config.jwt }, this.clock);
    const queuePasses = new QueuePasses(config.queuePass, this.clock);
    this.bus.listen(queuePasses.revocationListener());

    this.root = new Container({ defaultScope: 'Singleton' });
    this.root.bind(PLATFORM.Clock).toConstantValue(this.clock);
    this.root.bind(PLATFORM.Logger).toConstantValue(this.logger);
    this.root.bind(PLATFORM.Changes).toConstantValue(this.bus.changes);
    this.root.bind(PLATFORM.AccessTokens).toConstantValue(accessTokens);
    this.root.bind(PLATFORM.QueuePasses).toConstantValue(queuePasses);
    this.root.bind(PLATFORM.TicketCodes).toConstantValue(new TicketCodes(config.tickets));
    this.root.bind(PLATFORM.Metrics).toConstantValue(this.metrics);
    this.root.bind(PLATFORM.Shutdown).toConstantValue(this.shutdown.signal);

    const retries = this.metrics.counter('database_transaction_retries_total', 'Transactions run again after a conflict, by module and reason', [
      'module',
      'reason',
    ]);
    const groups: MountedRoutes[] = [];
    const slot = options.instanceSlot ?? config.instanceName ?? config.modules.join(',');
    for (const definition of options.modules) {
      if (!config.modules.includes(definition.name)) continue;
      const db = openModuleDatabase(definition.name, config.database);
      db.onRetry((reason) => retries.inc({ module: definition.name, reason }));
      // Classes resolve by themselves (autobind), one instance per module; symbols only name ports.
      const container = new Container({ parent: this.root, defaultScope: 'Singleton', autobind: true });
      const incarnations = new ProcessIncarnations(db, this.clock, this.incarnationId, slot);
      const idempotency = new IdempotencyStore(db, this.clock, incarnations);
      const settings = definition.settings?.read(config.environment);
      container.bind(PLATFORM.Database).toConstantValue(db);
      container.bind(PLATFORM.Outbox).toConstantValue(this.bus.attach(db));
      container.bind(PLATFORM.Idempotency).toConstantValue(idempotency);
      if (settings !== undefined) container.bind(PLATFORM.Settings).toConstantValue(settings);
      definition.bind?.(container, settings);
      for (const handlerClass of definition.handlers ?? []) {
        const spec = handlerClass.subscription;
        const handler = container.get<EventHandler<EventType>>(handlerClass as unknown as new () => EventHandler<EventType>);
        this.bus.subscribe(definition.name, subscribe(spec.event, spec.name, handler, { only: spec.only as never }));
      }
      const routes = definition.routes?.(container) ?? [];
      const keyed = routes.some((r) => r.idempotent);
      const jobs: JobDefinition[] = [
        { name: 'purge-idempotency-keys', intervalMs: 3600_000, run: () => idempotency.purgeExpired() },
        ...(keyed ? [{ name: 'incarnation-heartbeat', intervalMs: HEARTBEAT_INTERVAL_MS, everyReplica: true, run: () => incarnations.heartbeat() }] : []),
        ...(definition.jobs ?? []).map((jobClass) => {
          const job = container.get<Job>(jobClass as unknown as new () => Job);
          return { name: jobClass.schedule.name, intervalMs: jobClass.schedule.everyMs, run: () => job.run() };
        }),
      ];
      if (definition.metrics) container.get<ModuleMetrics>(definition.metrics as unknown as new () => ModuleMetrics).register(this.metrics);
      this.loaded.set(definition.name, { definition, container, db, jobs, incarnations: keyed ? incarnations : null });
      groups.push({ moduleName: definition.name, idempotency, routes });
    }
    this.registerBusMetrics();
    groups.unshift({ moduleName: 'platform', routes: operationsRoutes(this) });
    this.routeGroups.push(...groups);
    this.app = createHttpApp(
      { config, clock: this.clock, logger: this.logger, metrics: this.metrics, accessTokens, queuePasses, isStopping: () => this.stopping },
      groups,
    );
  }

  /** Builds the platform, migrates every module database and runs the modules' start-up hooks. */
  static async create(options: PlatformOptions): Promise<Platform> {
    const { config } = options;
    const missing = MODULE_NAMES.filter((m) => !config.modules.includes(m));
    if (missing.length > 0 && !options.transport && !config.bus.broker && !options.allowPartialModuleSet) {
      throw new ConfigError(
        'MODULES',
        `selects ${config.modules.join(', ')} without ${missing.join(', ')}, on the in-process event bus: events for subscribers in other processes would be marked delivered and lost. ` +
          'Unset MODULES to run every module in this process, or set NATS_URL so that the modules in other processes get their events through NATS JetStream.',
      );
    }
    let transport = options.transport;
    if (!transport && config.bus.broker) {
      const logger = createLogger(config.logLevel, options.logDestination);
      transport = await JetStreamTransport.connect(
        { ...config.bus.broker, publishers: options.modules.map((m) => m.name), retryBaseMs: config.bus.retryBaseMs },
        logger,
      ).catch((err: Error) => {
        throw new ConfigError('NATS_URL', `names a NATS server this process cannot use (${err.message})`);
      });
    }
    const platform = new Platform(config, { ...options, transport });
    try {
      await platform.prepare();
    } catch (err) {
      await transport?.close();
      throw err;
    }
    return platform;
  }

  get moduleNames(): ModuleName[] {
    return [...this.loaded.keys()];
  }

  container(name: ModuleName): Container {
    const m = this.loaded.get(name);
    if (!m) throw new Error(`Module ${name} is not loaded`);
    return m.container;
  }

  database(name: ModuleName): StoredDatabase {
    const m = this.loaded.get(name);
    if (!m) throw new Error(`Module ${name} is not loaded`);
    return m.db;
  }

  /** Starts the relay and the periodic jobs (not the HTTP listener: see listen). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.bus.start();
    const purge = setInterval(() => void this.bus.purge(HANDLED_RECORD_RETENTION_MS).catch((err) => this.logger.error({ err }, 'bus purge failed')), 3600_000);
    purge.unref();
    this.timers.push(purge);
    for (const m of this.loaded.values()) {
      for (const job of m.jobs) {
        let running = false;
        const timer = setInterval(() => {
          // A job runs once per module: in its leader, unless it is about this process itself.
          if (running || (!job.everyReplica && !m.db.leadership.isLeader)) return;
          running = true;
          const run = this.runJobSafely(m.definition.name, job).finally(() => {
            running = false;
            this.runningJobs.delete(run);
          });
          this.runningJobs.add(run);
        }, job.intervalMs);
        timer.unref();
        this.timers.push(timer);
      }
    }
  }

  /** Runs one job now (tests drive time this way instead of sleeping). */
  async runJob(moduleName: ModuleName, jobName: string): Promise<void> {
    const job = this.loaded.get(moduleName)?.jobs.find((j) => j.name === jobName);
    if (!job) throw new Error(`No job ${jobName} in module ${moduleName}`);
    await job.run();
  }

  async listen(port = this.config.port, host?: string): Promise<AddressInfo> {
    this.start();
    const { requestTimeoutMs, headersTimeoutMs } = this.config.http;
    // Node checks these timeouts on an interval (30 s by default): check every second, so a body
    // trickled a byte at a time, or a Content-Length that never arrives, is cut off on time.
    const server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs, connectionsCheckingInterval: 1000 }, this.app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host ?? this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return server.address() as AddressInfo;
  }

  async ready(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    if (this.stopping) checks.process = 'shutting down';
    for (const [name, m] of this.loaded) {
      try {
        await m.db.ping();
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `down: ${String(err)}`;
      }
    }
    checks.relay = this.bus.relaysRunning() ? 'ok' : 'stopped';
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  }

  /** Stops accepting, finishes in-flight requests, deliveries and jobs, then closes databases. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Requests waiting on a change (Prefer: wait) answer now instead of holding the close up.
    this.shutdown.abort();
    if (this.server) {
      const server = this.server;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection is closed as soon as its request in flight has been answered.
      server.closeIdleConnections();
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      const forced = setTimeout(() => server.closeAllConnections(), this.config.shutdownGraceMs);
      await closed;
      clearInterval(idleSweep);
      clearTimeout(forced);
      this.server = null;
    }
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await Promise.all(this.runningJobs);
    await this.bus.stop();
    for (const m of this.loaded.values()) {
      await m.definition.onStop?.(m.container);
      await m.incarnations?.stop();
      await m.db.close();
    }
    this.started = false;
    this.stopping = false;
  }

  private async prepare(): Promise<void> {
    const root = migrationsRoot();
    // One admin connection creates every module's database and role that is missing.
    if (this.config.database.kind === 'postgres') await provisionSystem(this.config.database.url, this.moduleNames);
    for (const [name, m] of this.loaded) {
      await m.db.migrate([
        { directory: path.join(root, 'platform'), tableName: 'platform_migrations' },
        { directory: path.join(root, name), tableName: 'module_migrations' },
      ]);
    }
    for (const m of this.loaded.values()) await m.incarnations?.register();
    // The first attempt to lead each module: a lone process leads from its start.
    for (const m of this.loaded.values()) await m.db.leadership.start();
    for (const m of this.loaded.values()) {
      if (m.definition.onStart) await runInContext({ correlationId: `startup-${newCorrelationId()}` }, () => m.definition.onStart!(m.container));
    }
  }

  private async runJobSafely(moduleName: string, job: JobDefinition): Promise<void> {
    try {
      await runInContext({ correlationId: `job-${job.name}-${newCorrelationId()}` }, () => job.run());
    } catch (err) {
      this.logger.error({ module: moduleName, job: job.name, err }, 'job failed');
    }
  }

  private registerBusMetrics(): void {
    // A scrape collects the four series at once: they share the one read in flight, not one each.
    let inFlight: ReturnType<EventBus['stats']> | null = null;
    const stats = () =>
      (inFlight ??= this.bus.stats().finally(() => {
        inFlight = null;
      }));
    this.metrics.gauge('outbox_backlog_events', 'Committed events not yet handed to the transport', ['module'], async (g) => {
      for (const s of await stats()) g.set({ module: s.module }, s.outboxBacklog);
    });
    this.metrics.gauge('outbox_oldest_undelivered_age_seconds', 'Age of the oldest undelivered outbox event', ['module'], async (g) => {
      for (const s of await stats()) g.set({ module: s.module }, (s.oldestUndeliveredAgeMs ?? 0) / 1000);
    });
    this.metrics.gauge('bus_deliveries_retrying', 'Deliveries waiting for a retry', ['module'], async (g) => {
      for (const s of await stats()) g.set({ module: s.module }, s.deliveriesRetrying);
    });
    this.metrics.gauge('bus_dead_letters', 'Deliveries parked as dead letters', ['module'], async (g) => {
      for (const s of await stats()) g.set({ module: s.module }, s.deadLetters);
    });
    if (this.transport instanceof JetStreamTransport) this.registerBrokerMetrics(this.transport);
  }

  private registerBrokerMetrics(transport: JetStreamTransport): void {
    const failures = this.metrics.counter('bus_publish_errors_total', 'Relay hand-overs the broker did not acknowledge, by publishing module', ['module']);
    transport.observe({ publishFailed: (module) => failures.inc({ module }) });
    let inFlight: ReturnType<JetStreamTransport['consumerLag']> | null = null;
    const lag = () =>
      (inFlight ??= transport.consumerLag().finally(() => {
        inFlight = null;
      }));
    const labels = ['subscriber', 'publisher'];
    this.metrics.gauge('bus_consumer_pending_events', 'Events in the stream not yet delivered to a subscriber', labels, async (g) => {
      for (const c of await lag()) g.set({ subscriber: c.subscriber, publisher: c.publisher }, c.pending);
    });
    this.metrics.gauge('bus_consumer_ack_pending_events', 'Events delivered to a subscriber and not yet acknowledged', labels, async (g) => {
      for (const c of await lag()) g.set({ subscriber: c.subscriber, publisher: c.publisher }, c.ackPending);
    });
  }
}
