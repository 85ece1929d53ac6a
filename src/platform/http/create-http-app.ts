import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { AppConfig } from '../config/config';
import type { AccessTokens, AuthUser } from '../auth/access-token';
import type { QueuePasses } from '../auth/queue-pass';
import type { Clock } from '../clock/clock';
import { newCorrelationId, runInContext, type ExecutionContext } from '../context/request-context';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { AppError, errors } from './app-error';
import { IdempotencyStore } from './idempotency';
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
}

const CORRELATION_HEADER = 'x-correlation-id';
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthUser;
    routeTemplate?: string;
    /** A body that could not be parsed; reported after authentication, as the spec orders checks. */
    bodyError?: AppError;
  }
}

/** The platform's HTTP stack, shared by every module's routes (and the benchmark's ceiling). */
export function createHttpApp(deps: HttpDeps, groups: MountedRoutes[]): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use(correlation());
  app.use(requestLog(deps));
  app.use(helmet());

  const authLimiter = rateLimit({
    windowMs: 60_000,
    limit: deps.config.authRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res, _next, options) => sendProblem(res, errors.tooManyRequests(options.windowMs / 1000, 'Too many attempts from this address; wait and retry.')),
  });
  for (const group of groups) {
    const idempotency = group.idempotency ?? null;
    for (const route of group.routes) {
      if (route.idempotent && !idempotency) throw new Error(`Route ${route.path} is idempotent but its group has no idempotency store`);
      mountRoute(app, route, deps, idempotency, authLimiter);
    }
  }

  app.use((req: Request, _res: Response, next: NextFunction) => next(errors.notFound('Route', `No route for ${req.method} ${req.path}.`)));
  app.use(errorHandler(deps.logger));
  return app;
}

function mountRoute(app: express.Express, route: RouteDefinition, deps: HttpDeps, idempotency: IdempotencyStore | null, authLimiter: express.RequestHandler): void {
  const chain: express.RequestHandler[] = [
    (req, _res, next) => {
      req.routeTemplate = route.path;
      next();
    },
  ];
  if (route.rateLimited) chain.push(authLimiter);
  chain.push(deferredJsonBody(route.bodyLimitBytes ?? deps.config.bodyLimitBytes));
  // Body parsing resumes on socket callbacks, outside the request's async context: re-enter it.
  chain.push((req, res, next) => runInContext(res.locals.ctx as ExecutionContext, next));
  chain.push(async (req, res, next) => {
    try {
      if (route.access !== 'public') {
        req.user = authenticate(req, deps.accessTokens);
        (res.locals.ctx as ExecutionContext).userId = req.user.id;
        if (route.access === 'admin' && req.user.role !== 'ADMIN') throw errors.forbidden();
      }
      if (route.queuePass) checkQueuePass(req, deps.queuePasses);
      if (req.bodyError) throw req.bodyError;
      const input = {
        params: parseInput(route.params, req.params, 'params'),
        query: parseInput(route.query, req.query, 'query'),
        body: parseInput(route.body, req.body, 'body'),
        user: req.user as AuthUser,
        header: (name: string) => req.get(name),
        req,
      };
      const key = route.idempotent ? req.get('idempotency-key') : undefined;
      const result =
        key !== undefined && req.user && idempotency
          ? await idempotency.run(req.user.id, key, `${route.method.toUpperCase()} ${route.path}`, IdempotencyStore.fingerprint(route.method, req.path, req.body), () => route.handle(input))
          : await route.handle(input);
      if (key !== undefined && 'replayed' in result && result.replayed) res.setHeader('Idempotent-Replayed', 'true');
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      if (result.body === undefined) res.status(result.status).end();
      else if (result.contentType) res.status(result.status).type(result.contentType).send(result.body);
      else res.status(result.status).json(result.body);
    } catch (err) {
      next(err);
    }
  });
  app[route.method](route.path, ...chain);
}

function deferredJsonBody(limit: number): express.RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      const type = (err as { type?: string } | undefined)?.type;
      if (type === 'entity.parse.failed') req.bodyError = errors.validation([{ field: 'body', message: 'Malformed JSON' }], 'The request body is not valid JSON.');
      else if (type === 'entity.too.large') req.bodyError = new AppError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', 'The request body is larger than allowed.');
      else if (err) return next(err);
      next();
    });
}

function authenticate(req: Request, tokens: AccessTokens): AuthUser {
  const header = req.get('authorization');
  const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
  const user = match ? tokens.verify(match[1]) : null;
  if (!user) throw errors.unauthorized(header ? 'The bearer token is invalid or expired.' : 'A bearer token is required.');
  return user;
}

function checkQueuePass(req: Request, passes: QueuePasses): void {
  const pass = req.get('x-queue-pass');
  if (!pass) throw new AppError(403, 'QUEUE_PASS_REQUIRED', 'Queue pass required', 'This call is behind the waiting room: send X-Queue-Pass from an ACTIVE queue token.');
  if (!passes.verify(pass, (req.user as AuthUser).id).ok) {
    throw new AppError(403, 'QUEUE_PASS_INVALID', 'Queue pass invalid', 'The queue pass is forged, expired or belongs to someone else.');
  }
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
          { correlationId: ctx?.correlationId, method: req.method, route, path: req.path, status: res.statusCode, durationMs: Math.round(seconds * 1e4) / 10, userId: req.user?.id },
          'request',
        );
      }
    });
    next();
  };
}

function errorHandler(logger: Logger): express.ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.locals.ctx) return runInContext(res.locals.ctx as ExecutionContext, () => renderError(logger, err, res));
    return renderError(logger, err, res);
  };
}

function renderError(logger: Logger, err: unknown, res: Response): void {
  {
    if (err instanceof AppError) return sendProblem(res, err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.status && e.status >= 400 && e.status < 500) return sendProblem(res, new AppError(e.status, 'BAD_REQUEST', 'Bad request', e.message));
    logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'unhandled error');
    return sendProblem(res, new AppError(500, 'INTERNAL_ERROR', 'Internal error', 'Something went wrong on our side.'));
  }
}
