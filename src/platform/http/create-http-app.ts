import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { match } from 'path-to-regexp';
import type { AccessTokens, AuthUser } from '../auth/access-token';
import type { PassUse, QueuePassClaims, QueuePasses } from '../auth/queue-pass';
import type { Clock } from '../clock/clock';
import type { AppConfig } from '../config/config';
import { type ExecutionContext, newCorrelationId, runInContext } from '../context/request-context';
import { DatabaseBusyError } from '../db/module-database';
import { IdempotencyStore, type IdempotentCall } from '../idempotency/idempotency-store';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { AppError, errors } from './app-error';
import { CONSOLE_PATH, consoleSite } from './console-site';
import { asHttpError } from './domain-problem';
import { DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_VALUES, type JsonBodyLimits, readJsonBody } from './json-body';
import { sendProblem } from './problem';
import type { RouteDefinition } from './route';
import { parseInput } from './validation';

export interface MountedRoutes {
  moduleName: string;
  /** Where the group's idempotency keys live; groups without one cannot have idempotent routes. */
  idempotency?: IdempotencyStore;
  routes: RouteDefinition[];
}

export interface HttpDeps {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  accessTokens: AccessTokens;
  queuePasses: QueuePasses;
  /** True once the process is shutting down: each response then closes its keep-alive connection, so the drain ends. */
  isStopping?: () => boolean;
}

const CORRELATION_HEADER = 'x-correlation-id';
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthUser;
    routeTemplate?: string;
  }
}

/** Request headers a browser client of the API sends, and response headers it needs to read. */
const CORS_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Queue-Token',
  'X-Queue-Pass',
  'If-None-Match',
  'Prefer',
  'X-Correlation-Id',
];
const CORS_EXPOSED_HEADERS = ['X-Correlation-Id', 'ETag', 'Retry-After', 'Location', 'Idempotent-Replayed', 'WWW-Authenticate'];

/** The platform's HTTP stack, shared by every module's routes (and the benchmark's ceiling). */
export function createHttpApp(deps: HttpDeps, groups: MountedRoutes[]): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.config.http.trustProxy);
  app.use(correlation());
  app.use(requestLog(deps));
  app.use(helmet());
  // Balances, histories, tokens and seat maps must never be served from a cache; a route that may be cached says so.
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (deps.isStopping?.()) res.setHeader('Connection', 'close');
    next();
  });
  if (deps.config.http.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: deps.config.http.corsOrigins,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: CORS_REQUEST_HEADERS,
        exposedHeaders: CORS_EXPOSED_HEADERS,
        maxAge: 600,
      }),
    );
  }

  // The operator console's static files (it calls the admin API like any other client).
  app.use(CONSOLE_PATH, consoleSite());

  const authLimiter = rateLimit({
    windowMs: 60_000,
    limit: deps.config.authRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // TRUST_PROXY is validated at start-up; the library's own checks would only print to the console.
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (_req, res, _next, options) =>
      sendProblem(res, errors.tooManyRequests(options.windowMs / 1000, 'Too many attempts from this address; wait and retry.')),
  });
  const methodsByPath = new Map<string, Set<string>>();
  for (const group of groups) {
    const idempotency = group.idempotency ?? null;
    for (const route of group.routes) {
      if (route.idempotent && !idempotency) throw new Error(`Route ${route.path} is idempotent but its group has no idempotency store`);
      mountRoute(app, route, deps, idempotency, authLimiter);
      const methods = methodsByPath.get(route.path) ?? new Set<string>();
      methods.add(route.method.toUpperCase());
      if (route.method === 'get') methods.add('HEAD');
      methodsByPath.set(route.path, methods);
    }
  }
  // A known path asked with a method it does not take: 405 with the methods it does take (every
  // path template that matches contributes, as a request may match more than one).
  const templates = [...methodsByPath].map(([template, methods]) => ({ matches: match(template), methods }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const allowed = new Set<string>();
    for (const t of templates) if (t.matches(req.path)) for (const m of t.methods) allowed.add(m);
    if (allowed.size === 0) return next(errors.notFound('Route', `No route for ${req.method} ${req.path}.`));
    const list = [...allowed].sort();
    next(
      new AppError(
        405,
        'METHOD_NOT_ALLOWED',
        'Method not allowed',
        `${req.path} does not take ${req.method}; it takes ${list.join(', ')}.`,
        { allow: list },
        { Allow: list.join(', ') },
      ),
    );
  });
  app.use(errorHandler(deps.logger));
  return app;
}

function mountRoute(
  app: express.Express,
  route: RouteDefinition,
  deps: HttpDeps,
  idempotency: IdempotencyStore | null,
  authLimiter: express.RequestHandler,
): void {
  const chain: express.RequestHandler[] = [
    (req, _res, next) => {
      req.routeTemplate = route.path;
      next();
    },
  ];
  if (route.rateLimited) chain.push(authLimiter);
  const bodyLimits: JsonBodyLimits = {
    maxBytes: route.bodyLimitBytes ?? deps.config.bodyLimitBytes,
    maxValues: route.bodyMaxValues ?? DEFAULT_MAX_JSON_VALUES,
    maxDepth: DEFAULT_MAX_JSON_DEPTH,
  };
  chain.push(async (req, res, next) => {
    try {
      // The spec's order: who you are, what you may do, whether the waiting room let you in; only
      // then is the body read at all, so an anonymous caller cannot make the server read or parse anything.
      if (route.access !== 'public') {
        req.user = authenticate(req, deps.accessTokens);
        (res.locals.ctx as ExecutionContext).userId = req.user.id;
        if (route.access === 'admin' && req.user.role !== 'ADMIN') throw errors.forbidden();
        if (route.access === 'staff' && req.user.role !== 'STAFF' && req.user.role !== 'ADMIN') throw errors.forbidden();
      }
      const pass = route.queuePass ? checkQueuePass(req, deps.queuePasses, route.queuePass === 'checkout' ? 'checkout' : 'shop') : null;
      const rawBody = route.body ? await readJsonBody(req, bodyLimits) : undefined;
      // Reading the body resumes on socket callbacks, outside the request's async context: re-enter it.
      await runInContext(res.locals.ctx as ExecutionContext, async () => {
        const input = {
          params: parseInput(route.params, req.params, 'params'),
          query: parseInput(route.query, req.query, 'query'),
          body: parseInput(route.body, rawBody, 'body'),
          user: req.user as AuthUser,
          header: (name: string) => req.get(name),
          req,
        };
        if (pass && route.passConcert && !deps.queuePasses.opensConcert(pass, await route.passConcert(input)))
          throw new AppError(
            403,
            'QUEUE_PASS_INVALID',
            'Queue pass invalid',
            "This queue pass is for another concert's waiting room: join the waiting room of this concert.",
          );
        const key = route.idempotent ? req.get('idempotency-key') : undefined;
        const where = `${route.method.toUpperCase()} ${route.path}`;
        // A domain error becomes the problem this route declared for its code, before the key stores it.
        const handle = (withKey: typeof input & { idempotency?: IdempotentCall }) =>
          route.handle(withKey).catch((err: unknown) => {
            throw asHttpError(err, route.errors, where);
          });
        const result =
          key !== undefined && req.user && idempotency
            ? await idempotency.run(
                req.user.id,
                key,
                where,
                IdempotencyStore.fingerprint(route.method, req.path, rawBody),
                (call: IdempotentCall) => handle({ ...input, idempotency: call }),
                (err) => asHttpError(err, route.errors, where),
              )
            : await handle(input);
        if (key !== undefined && 'replayed' in result && result.replayed) res.setHeader('Idempotent-Replayed', 'true');
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        if (result.body === undefined) res.status(result.status).end();
        else if (result.contentType) res.status(result.status).type(result.contentType).send(result.body);
        else res.status(result.status).json(result.body);
      });
    } catch (err) {
      next(err);
    }
  });
  app[route.method](route.path, ...chain);
}

function authenticate(req: Request, tokens: AccessTokens): AuthUser {
  const header = req.get('authorization');
  // RFC 9110: the scheme is case-insensitive, followed by one or more spaces.
  const match = header ? /^bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header) : null;
  const user = match ? tokens.verify(match[1]) : null;
  if (!user) throw errors.unauthorized(header ? 'The bearer token is invalid or expired.' : 'A bearer token is required.');
  return user;
}

function checkQueuePass(req: Request, passes: QueuePasses, use: PassUse): QueuePassClaims {
  const pass = req.get('x-queue-pass');
  if (!pass)
    throw new AppError(
      403,
      'QUEUE_PASS_REQUIRED',
      'Queue pass required',
      'This call is behind the waiting room: send X-Queue-Pass from an ACTIVE queue token.',
    );
  const check = passes.verify(pass, (req.user as AuthUser).id, use);
  if (check.ok) return check.claims;
  const detail =
    check.revoked === 'LEFT'
      ? 'This queue pass was given up when its holder left the waiting room; join the queue again.'
      : check.revoked === 'COMPLETED'
        ? 'This visit ended with a purchase: the pass can still pay for seats held during it, but not browse or hold more. Join the queue again to shop.'
        : 'The queue pass is forged, expired or belongs to someone else.';
  throw new AppError(403, 'QUEUE_PASS_INVALID', 'Queue pass invalid', detail);
}

function correlation(): express.RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(CORRELATION_HEADER);
    const correlationId = incoming && SAFE_CORRELATION_ID.test(incoming) ? incoming : newCorrelationId();
    res.setHeader(CORRELATION_HEADER, correlationId);
    const ctx: ExecutionContext = { correlationId };
    res.locals.ctx = ctx;
    runInContext(ctx, () => next());
  };
}

function requestLog(deps: HttpDeps): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const ctx = res.locals.ctx as ExecutionContext | undefined;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.routeTemplate ?? 'unmatched';
      deps.metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (deps.logger.isLevelEnabled('info')) {
        deps.logger.info(
          {
            correlationId: ctx?.correlationId,
            method: req.method,
            route,
            path: req.path,
            status: res.statusCode,
            durationMs: Math.round(seconds * 1e4) / 10,
            userId: req.user?.id,
          },
          'request',
        );
      }
    });
    next();
  };
}

function errorHandler(logger: Logger): express.ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // A body refused unread is not read afterwards either: close the connection rather than let
    // Node read and discard the rest of it.
    if (!req.complete && hasBody(req)) res.setHeader('Connection', 'close');
    if (res.locals.ctx) return runInContext(res.locals.ctx as ExecutionContext, () => renderError(logger, err, res));
    return renderError(logger, err, res);
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function renderError(logger: Logger, err: unknown, res: Response): void {
  sendProblem(res, problemOf(logger, err));
}

/** What an error becomes for the client: our own problem, a 4xx Express raised, or a logged 500. */
function problemOf(logger: Logger, err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DatabaseBusyError) {
    logger.warn({ err }, 'database busy');
    return new AppError(
      503,
      'SERVICE_BUSY',
      'Service busy',
      'Too many conflicting requests right now; nothing was changed. Try again shortly.',
      {},
      { 'Retry-After': '1' },
    );
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.status && e.status >= 400 && e.status < 500) return new AppError(e.status, 'BAD_REQUEST', 'Bad request', e.message);
  logger.error({ err }, 'unhandled error');
  return new AppError(500, 'INTERNAL_ERROR', 'Internal error', 'Something went wrong on our side.');
}
