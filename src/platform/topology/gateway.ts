import { randomUUID } from 'node:crypto';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import rateLimit from 'express-rate-limit';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { AccessTokens } from '../auth/access-token';
import { runInContext } from '../context/request-context';
import { AppError, errors } from '../http/app-error';
import { CONSOLE_PATH, consoleSite } from '../http/console-site';
import { sendProblem } from '../http/problem';
import type { Logger } from '../logging/logger';
import type { ServiceRegistry, ServiceState } from './service-registry';

/** Long-polls (`Prefer: wait=` up to 30 s) must outlive their wait at the gateway. */
const PROXY_TIMEOUT_MS = 40_000;
const CORRELATION_HEADER = 'x-correlation-id';
const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

export interface GatewaySettings {
  registry: ServiceRegistry;
  accessTokens: AccessTokens;
  logger: Logger;
  /** Requests per minute and client address before 429 (every route). */
  rateLimitPerMinute: number;
  trustProxy: boolean | number | string[];
  /** The consumer lag of each service, for `GET /admin/services` (from the services' own metrics). */
}

const serviceUnavailable = (service: string, why: string) =>
  new AppError(
    503,
    'SERVICE_UNAVAILABLE',
    'Service unavailable',
    `The ${service} service is not answering (${why}); try again shortly.`,
    { service },
    { 'Retry-After': '1' },
  );

/**
 * The edge of the split topology (seed §6.2): one address for every service. It routes each
 * request by method and path to the service that declares the route, streams bodies through
 * unparsed, checks the bearer token of protected routes before anything is forwarded (services
 * check it again), limits each client's rate, and answers 503 at once for a service that is down.
 * Its own endpoints aggregate what every service reports.
 */
export function createGateway(settings: GatewaySettings): express.Express {
  const { registry, accessTokens, logger } = settings;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.use((req, res, next) => {
    const given = req.header(CORRELATION_HEADER);
    const correlationId = given && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    req.headers[CORRELATION_HEADER] = correlationId;
    res.setHeader('X-Correlation-Id', correlationId);
    runInContext({ correlationId }, next);
  });
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: settings.rateLimitPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      validate: { trustProxy: false, xForwardedForHeader: false },
      handler: (_req, res, _next, options) => sendProblem(res, errors.tooManyRequests(options.windowMs / 1000, 'Too many requests from this address.')),
    }),
  );

  const requireAdmin = (req: express.Request): void => {
    const user = bearerUser(req, accessTokens);
    if (!user) throw errors.unauthorized();
    if (user.role !== 'ADMIN') throw errors.forbidden();
  };
  const own = (handler: (req: express.Request, res: express.Response) => Promise<void>) => (req: express.Request, res: express.Response) =>
    handler(req, res).catch((err: unknown) => sendProblem(res, err instanceof AppError ? err : serviceUnavailable('gateway', (err as Error).message)));

  // The operator console is served here, not by a service: its page works while any service is down.
  app.use(CONSOLE_PATH, consoleSite());
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get(
    '/health/ready',
    own(async (_req, res) => {
      // Asked now (one readiness call per service), and ready once the gateway itself routes to every service.
      await registry.pollAll();
      const checks: Record<string, string> = {};
      for (const s of registry.list()) {
        checks[s.name] = s.status === 'up' ? 'ok' : `unavailable (${s.lastError ?? s.status})`;
        for (const [name, value] of Object.entries(s.checks)) checks[`${s.name}.${name}`] = value;
      }
      // Ready when every module has a process up (one of several replicas down is a lost replica, not an outage).
      const ok = [...new Set(registry.list().map((s) => s.module))].every((m) => registry.replicasOf(m).some((s) => s.status === 'up'));
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
    }),
  );
  app.get(
    '/openapi.json',
    own(async (_req, res) => {
      const doc = registry.mergedDocument();
      if (!doc) throw serviceUnavailable('every', 'no service has answered yet');
      res.json(doc);
    }),
  );
  app.get(
    '/admin/services',
    own(async (req, res) => {
      requireAdmin(req);
      const now = Date.now();
      const lags = await Promise.all(registry.list().map((s) => (s.status === 'up' ? consumerLag(s) : Promise.resolve(null))));
      res.json({
        items: registry.list().map((s, i) => ({
          name: s.name,
          module: s.module,
          url: s.url,
          pid: s.pid,
          status: s.status,
          restarts: s.restarts,
          uptimeSeconds: s.startedAtMs === null || s.status !== 'up' ? null : Math.round((now - s.startedAtMs) / 1000),
          lastError: s.lastError,
          consumerLag: lags[i],
        })),
      });
    }),
  );
  // The bus state and the dead letters of every service in one list; a retry goes to the service whose inbox holds it.
  for (const path of ['/admin/events', '/admin/events/dead']) {
    app.get(
      path,
      own(async (req, res) => {
        requireAdmin(req);
        // One process per module: replicas share the module's database, so they list the same events.
        const modules = [...new Set(registry.list().map((s) => s.module))];
        const lists = await Promise.all(
          modules.map(async (m) => {
            const s = registry.pick(m)!;
            const answer = await askService(s, path, { authorization: req.header('authorization') ?? '' }).catch((err: Error) => {
              throw serviceUnavailable(s.name, err.message);
            });
            if (answer.status !== 200) throw serviceUnavailable(s.name, `${path} answered ${answer.status}`);
            return (answer.body as { items: unknown[] }).items;
          }),
        );
        res.json({ items: lists.flat() });
      }),
    );
  }
  app.get('/metrics/:service', (req, res, next) => {
    const service = registry.get(req.params.service) ?? registry.pick(req.params.service);
    if (!service) return sendProblem(res, errors.notFound('Service'));
    req.url = '/metrics';
    forward(service)(req, res, next);
  });

  const proxies = new Map<string, express.RequestHandler>();
  const forward = (service: ServiceState): express.RequestHandler => {
    let proxy = proxies.get(service.name);
    if (!proxy) {
      proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
        target: service.url,
        // Connections to a service are kept and reused: a new one per request costs both sides a handshake.
        agent: keepAlive,
        xfwd: true,
        proxyTimeout: PROXY_TIMEOUT_MS,
        on: {
          proxyRes: () => registry.answered(service.name),
          error: (err, _req, res) => {
            logger.warn({ service: service.name, err: (err as Error).message }, 'gateway: forwarding failed');
            const response = res as express.Response;
            if ('headersSent' in response && !response.headersSent)
              sendProblem(response, serviceUnavailable(service.name, (err as NodeJS.ErrnoException).code ?? 'no answer'));
            else (res as ServerResponse).destroy?.();
          },
        },
      }) as unknown as express.RequestHandler;
      proxies.set(service.name, proxy);
    }
    return proxy;
  };

  app.post('/admin/events/dead/:id/retry', (req, res, next) => {
    const owner = /^([a-z-]+):\d+$/.exec(req.params.id)?.[1];
    const service = owner ? registry.pick(owner) : undefined;
    if (!service) return sendProblem(res, errors.notFound('Dead letter'));
    if (service.status !== 'up') return sendProblem(res, serviceUnavailable(service.name, service.status));
    forward(service)(req, res, next);
  });

  app.use((req, res, next) => {
    const path = req.path;
    // The documentation page is the same in every service; its document is the merged one above.
    const target =
      path === '/docs' || path.startsWith('/docs/')
        ? { service: registry.list().find((s) => s.status === 'up'), protectedRoute: false }
        : registry.resolve(req.method === 'HEAD' ? 'GET' : req.method, path);
    if (!target) {
      // Not a 404 while a module's routes are unknown (the gateway has just started): the route may be its.
      const unknown = registry.modulesWithUnknownRoutes();
      if (unknown.length > 0) return sendProblem(res, serviceUnavailable(unknown.join(', '), 'its routes are not known yet'));
      return sendProblem(res, errors.notFound('Route', `No service serves ${req.method} ${path}.`));
    }
    if (!target.service) return sendProblem(res, serviceUnavailable('every', 'none is up'));
    // Central authentication: nothing reaches a service with a missing, forged or expired token.
    if (target.protectedRoute && !bearerUser(req, accessTokens)) return sendProblem(res, errors.unauthorized());
    if (target.service.status !== 'up') return sendProblem(res, serviceUnavailable(target.service.name, target.service.lastError ?? target.service.status));
    forward(target.service)(req, res, next);
  });
  return app;
}

function bearerUser(req: express.Request, tokens: AccessTokens) {
  const header = req.header('authorization');
  const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/i.exec(header) : null;
  return match ? tokens.verify(match[1]) : null;
}

async function askService(service: ServiceState, path: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${service.url}${path}`, { headers, signal: AbortSignal.timeout(1000) });
  const text = await res.text();
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/**
 * The events waiting for a service's inbox at the broker (not yet delivered, and delivered but not
 * yet acknowledged), summed over its consumers, from its own metrics; null when it cannot tell.
 */
async function consumerLag(service: ServiceState): Promise<{ pending: number; ackPending: number } | null> {
  try {
    const res = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(1000) });
    if (res.status !== 200) return null;
    const text = await res.text();
    const sum = (metric: string) => {
      let total = 0;
      for (const match of text.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+(?:\\.\\d+)?)$`, 'gm'))) total += Number(match[1]);
      return total;
    };
    return { pending: sum('bus_consumer_pending_events'), ackPending: sum('bus_consumer_ack_pending_events') };
  } catch {
    return null;
  }
}
