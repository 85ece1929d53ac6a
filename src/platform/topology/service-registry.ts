import type { Logger } from '../logging/logger';

/** What the gateway knows of one module's service (a local child, or an address from SERVICE_URLS). */
export interface ServiceState {
  /** Unique per process: the module's name, or `<module>-<n>` for one of several replicas. */
  name: string;
  /** The module it serves (replicas of one module share its routes). */
  module: string;
  url: string;
  status: 'starting' | 'up' | 'down';
  /** Set by the supervisor for a local child. */
  pid: number | null;
  restarts: number;
  startedAtMs: number | null;
  lastError: string | null;
  /** When the service last answered a request the gateway forwarded to it. */
  lastAnsweredAtMs: number | null;
  /** What the service's latest readiness answer said of its parts (its databases, its relay). */
  checks: Record<string, string>;
}

interface ServiceRoute {
  method: string;
  pattern: RegExp;
  /** A literal path (no parameter) wins over a template that also matches. */
  literal: boolean;
  /** A bearer token is required (the operation declares a security requirement). */
  protectedRoute: boolean;
}

/** The routes one service declares in its OpenAPI document that belong to it (not the platform's own). */
interface OpenApiDocument {
  paths?: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const PLATFORM_TAGS = new Set(['operations', 'documentation']);
const HEALTH_TIMEOUT_MS = 800;

/**
 * Static service discovery with health checks (seed §6.3): the services' addresses, polled for
 * readiness, and each service's routes, read from its own OpenAPI document, so the gateway routes
 * what a service declares and nothing else.
 */
export class ServiceRegistry {
  private readonly services = new Map<string, ServiceState>();
  /** By module: replicas of one module declare the same routes. */
  private readonly routes = new Map<string, ServiceRoute[]>();
  private readonly documents = new Map<string, OpenApiDocument>();
  /** Round-robin position per module. */
  private readonly turns = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    addresses: ReadonlyArray<{ name: string; url: string; module?: string }>,
    private readonly logger: Logger,
  ) {
    for (const { name, url, module } of addresses)
      this.services.set(name, {
        name,
        module: module ?? name,
        url: url.replace(/\/+$/, ''),
        status: 'starting',
        pid: null,
        restarts: 0,
        startedAtMs: null,
        lastError: null,
        lastAnsweredAtMs: null,
        checks: {},
      });
  }

  list(): ServiceState[] {
    return [...this.services.values()];
  }

  get(name: string): ServiceState | undefined {
    return this.services.get(name);
  }

  /** The supervisor's news of a local child. */
  update(name: string, change: Partial<Pick<ServiceState, 'pid' | 'restarts' | 'startedAtMs' | 'status' | 'lastError'>>): void {
    const s = this.services.get(name);
    if (s) Object.assign(s, change);
  }

  /** A forwarded request was answered: the service is alive, whatever its next readiness check takes. */
  answered(name: string): void {
    const s = this.services.get(name);
    if (s) s.lastAnsweredAtMs = Date.now();
  }

  /** The service that declares this method and path (a replica of its module, in turn), and whether the route needs a bearer token. */
  resolve(method: string, path: string): { service: ServiceState; protectedRoute: boolean } | null {
    let templated: { module: string; protectedRoute: boolean } | null = null;
    for (const [module, routes] of this.routes) {
      for (const r of routes) {
        if (r.method !== method || !r.pattern.test(path)) continue;
        if (r.literal) return { service: this.pick(module)!, protectedRoute: r.protectedRoute };
        templated ??= { module, protectedRoute: r.protectedRoute };
      }
    }
    return templated ? { service: this.pick(templated.module)!, protectedRoute: templated.protectedRoute } : null;
  }

  /** Modules none of whose processes has told the gateway its routes yet (after a start or restart of the gateway). */
  modulesWithUnknownRoutes(): string[] {
    return [...new Set(this.list().map((s) => s.module))].filter((m) => !this.routes.has(m));
  }

  /** Every process of a module. */
  replicasOf(module: string): ServiceState[] {
    return [...this.services.values()].filter((s) => s.module === module);
  }

  /**
   * One process of the module: the next healthy replica in turn (round robin), or, when none is
   * up, its first (whose status says why). Undefined for an unknown module.
   */
  pick(module: string): ServiceState | undefined {
    const replicas = this.replicasOf(module);
    if (replicas.length <= 1) return replicas[0];
    const up = replicas.filter((s) => s.status === 'up');
    if (up.length === 0) return replicas[0];
    const turn = this.turns.get(module) ?? 0;
    this.turns.set(module, (turn + 1) % 1_000_000);
    return up[turn % up.length];
  }

  /** Every service's API in one document: the paths each one declares, and the shared components. */
  mergedDocument(): OpenApiDocument | null {
    const docs = [...this.documents.values()];
    if (docs.length === 0) return null;
    const merged: OpenApiDocument = { ...docs[0], paths: {}, components: {} };
    for (const doc of docs) {
      for (const [path, operations] of Object.entries(doc.paths ?? {})) merged.paths![path] = { ...merged.paths![path], ...operations };
      for (const [kind, entries] of Object.entries(doc.components ?? {})) merged.components![kind] = { ...merged.components![kind], ...entries };
    }
    return merged;
  }

  /** Polls every service now and then every `intervalMs`. */
  start(intervalMs: number): Promise<void> {
    const first = this.pollAll();
    this.timer = setInterval(() => void this.pollAll(), intervalMs);
    this.timer.unref();
    return first;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async pollAll(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => this.poll(s)));
  }

  private async poll(service: ServiceState): Promise<void> {
    const before = service.status;
    const startedAtMs = Date.now();
    try {
      const res = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      const answer = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
      service.checks = answer.checks ?? {};
      if (res.status !== 200) throw new Error(`readiness answered ${res.status}: ${JSON.stringify(service.checks)}`);
      if (!this.routes.has(service.module)) await this.loadRoutes(service);
      service.status = 'up';
      service.lastError = null;
    } catch (err) {
      // Busy, not hung: a readiness check that timed out while the service went on answering the
      // requests forwarded to it (under a rush, on shared cores) does not take it out of service.
      const slowButAnswering = before === 'up' && (err as Error).name === 'TimeoutError' && (service.lastAnsweredAtMs ?? 0) > startedAtMs;
      // A service that has not answered since it (re)started is still starting, not down.
      service.status = slowButAnswering ? 'up' : before === 'starting' ? 'starting' : 'down';
      service.lastError = (err as Error).message;
      if (!(err as Error).message.startsWith('readiness answered')) service.checks = {};
    }
    if (before !== service.status)
      this.logger.info(
        { service: service.name, url: service.url, from: before, to: service.status, error: service.lastError },
        'gateway: service status changed',
      );
  }

  private async loadRoutes(service: ServiceState): Promise<void> {
    const res = await fetch(`${service.url}/openapi.json`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`its API document answered ${res.status}`);
    const doc = (await res.json()) as OpenApiDocument;
    const routes: ServiceRoute[] = [];
    const own: OpenApiDocument['paths'] = {};
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(operations)) {
        if ((op.tags ?? []).some((t) => PLATFORM_TAGS.has(t))) continue;
        const literal = !path.includes('{');
        const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}/?$`);
        routes.push({ method: method.toUpperCase(), pattern, literal, protectedRoute: (op.security ?? []).length > 0 });
        own[path] = { ...own[path], [method]: op };
      }
    }
    this.routes.set(service.module, routes);
    this.documents.set(service.module, { ...doc, paths: own });
  }
}
