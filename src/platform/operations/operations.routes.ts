import { z } from 'zod';
import type { EventBus } from '../bus/event-bus';
import { errors } from '../http/app-error';
import type { MountedRoutes } from '../http/create-http-app';
import { defineRoute, type RouteDefinition } from '../http/route';
import type { Metrics } from '../metrics/metrics';
import { buildOpenApiDocument } from '../openapi/openapi-document';
import { DOCS_ASSET_NAMES, DOCS_CSP, DOCS_PATH, docsAsset, docsPage, OPENAPI_PATH } from '../openapi/swagger-ui';

/** What the operations endpoints need from the running platform. */
export interface OperationsPort {
  bus: EventBus;
  metrics: Metrics;
  /** Every mounted route group; read when the API document is first asked for. */
  routeGroups: readonly MountedRoutes[];
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

const deadLetterId = z.object({
  id: z
    .string()
    .regex(/^[a-z-]+:\d+$/, 'must look like <module>:<number>')
    .meta({ description: 'The dead letter id, `<module>:<number>`, from `GET /admin/events/dead`', examples: ['data-platform:12'] }),
});

const statusOk = z.object({ status: z.literal('ok') });
const readiness = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.string()).meta({ description: 'Per module database and `relay`: `ok`, or what is wrong' }),
});
const busStats = z.object({
  items: z.array(
    z.object({
      module: z.string(),
      outboxBacklog: z.number().int().meta({ description: 'Committed events not yet handed to the transport' }),
      oldestUndeliveredAgeMs: z.number().nullable(),
      deliveriesRetrying: z.number().int(),
      deliveriesQueued: z.number().int().meta({ description: 'Deliveries waiting behind an earlier event of the same aggregate' }),
      deadLetters: z.number().int(),
      delivered: z.number().int().meta({ description: 'Events relayed since this process started' }),
    }),
  ),
});
const deadLetters = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      module: z.string().meta({ description: 'The subscribing module' }),
      subscriber: z.string(),
      eventId: z.string(),
      type: z.string(),
      aggregateId: z.string(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      receivedAt: z.string(),
      event: z.record(z.string(), z.unknown()).meta({ description: 'The whole event envelope' }),
    }),
  ),
});
const replayed = z.object({ id: z.string(), status: z.literal('REPLAYED') });

/** Health, metrics, bus operations and the API documentation: the platform's own endpoints. */
export function operationsRoutes(platform: OperationsPort): RouteDefinition[] {
  let openApiJson: string | null = null;
  return [
    defineRoute({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness: the process answers',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Alive', schema: statusOk } },
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness: every module database answers and the relay runs',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Ready', schema: readiness }, 503: { description: 'Not ready: `checks` says what is down', schema: readiness } },
      handle: async () => {
        const { ok, checks } = await platform.ready();
        return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      description:
        'Text exposition format 0.0.4: HTTP latency by route template, outbox backlog and lag, retries, dead letters, module gauges and process metrics. See docs/operations.md.',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Prometheus text exposition', contentType: 'text/plain; version=0.0.4' } },
      handle: async () => ({ status: 200, body: await platform.metrics.render(), contentType: platform.metrics.registry.contentType }),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/events',
      summary: 'Bus state per module: outbox backlog, oldest undelivered age, retries, dead letters',
      tags: ['operations'],
      access: 'admin',
      responses: { 200: { description: 'Per-module bus state', schema: busStats } },
      handle: async () => ({ status: 200, body: { items: await platform.bus.stats() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/events/dead',
      summary: 'Dead letters, with the error and attempts',
      tags: ['operations'],
      access: 'admin',
      responses: { 200: { description: 'Dead letters', schema: deadLetters } },
      handle: async () => ({ status: 200, body: { items: await platform.bus.deadLetters() } }),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/events/dead/:id/retry',
      summary: 'Redeliver a dead letter (handled once thanks to the inbox)',
      description:
        'Puts the delivery back in line with a fresh attempt budget and tries it at once. If the handler fails again it retries with backoff and, after `BUS_MAX_ATTEMPTS`, is parked again.',
      tags: ['operations'],
      access: 'admin',
      params: deadLetterId,
      responses: { 202: { description: 'Put back in line and attempted', schema: replayed }, 404: { description: 'NOT_FOUND: no dead letter with this id' } },
      handle: async ({ params }) => {
        if (!(await platform.bus.replayDeadLetter(params.id))) throw errors.notFound('Dead letter');
        return { status: 202, body: { id: params.id, status: 'REPLAYED' } };
      },
    }),
    defineRoute({
      method: 'get',
      path: OPENAPI_PATH,
      summary: 'This API described as OpenAPI 3.1',
      description: 'Generated at run time from the route declarations and the zod schemas that validate requests.',
      tags: ['documentation'],
      access: 'public',
      responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handle: async () => {
        openApiJson ??= JSON.stringify(buildOpenApiDocument(platform.routeGroups));
        return { status: 200, body: openApiJson, contentType: 'application/json; charset=utf-8' };
      },
    }),
    defineRoute({
      method: 'get',
      path: DOCS_PATH,
      summary: 'Interactive API documentation (Swagger UI)',
      tags: ['documentation'],
      access: 'public',
      responses: { 200: { description: 'The Swagger UI page', contentType: 'text/html' } },
      handle: async () => ({
        status: 200,
        body: docsPage(),
        contentType: 'text/html; charset=utf-8',
        headers: { 'Content-Security-Policy': DOCS_CSP, 'Cache-Control': 'no-cache' },
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${DOCS_PATH}/:asset`,
      summary: 'A static file of the Swagger UI page',
      tags: ['documentation'],
      access: 'public',
      params: z.object({
        asset: z
          .string()
          .max(100)
          .meta({ description: `One of: ${DOCS_ASSET_NAMES.join(', ')}` }),
      }),
      responses: {
        200: { description: 'The file (CSS, JavaScript or PNG)', contentType: 'application/octet-stream' },
        404: { description: 'NOT_FOUND: no such file' },
      },
      handle: async ({ params }) => {
        const asset = docsAsset(params.asset);
        if (!asset) throw errors.notFound('File');
        return { status: 200, body: asset.body, contentType: asset.contentType, headers: { 'Cache-Control': 'public, max-age=86400' } };
      },
    }),
  ];
}
