import { z } from 'zod';
import { errors } from '../http/app-error';
import { defineRoute, type RouteDefinition } from '../http/route';
import type { EventBus } from '../bus/event-bus';
import type { Metrics } from '../metrics/metrics';

/** What the operations endpoints need from the running platform. */
export interface OperationsPort {
  bus: EventBus;
  metrics: Metrics;
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

const deadLetterId = z.object({ id: z.string().regex(/^[a-z-]+:\d+$/, 'must look like <module>:<number>') });

/** Health, metrics and bus operations: the platform's own endpoints. */
export function operationsRoutes(platform: OperationsPort): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness: the process answers',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Alive' } },
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness: every module database answers and the relay runs',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
      handle: async () => {
        const { ok, checks } = await platform.ready();
        return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tags: ['operations'],
      access: 'public',
      responses: { 200: { description: 'Prometheus text exposition' } },
      handle: async () => ({ status: 200, body: await platform.metrics.render(), contentType: platform.metrics.registry.contentType }),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/events',
      summary: 'Bus state per module: outbox backlog, oldest undelivered age, retries, dead letters',
      tags: ['operations'],
      access: 'admin',
      responses: { 200: { description: 'Per-module bus state' } },
      handle: async () => ({ status: 200, body: { items: await platform.bus.stats() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/events/dead',
      summary: 'Dead letters, with the error and attempts',
      tags: ['operations'],
      access: 'admin',
      responses: { 200: { description: 'Dead letters' } },
      handle: async () => ({ status: 200, body: { items: await platform.bus.deadLetters() } }),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/events/dead/:id/retry',
      summary: 'Redeliver a dead letter (handled once thanks to the inbox)',
      tags: ['operations'],
      access: 'admin',
      params: deadLetterId,
      responses: { 202: { description: 'Put back in line and attempted' }, 404: { description: 'No such dead letter' } },
      handle: async ({ params }) => {
        if (!(await platform.bus.replayDeadLetter(params.id))) throw errors.notFound('Dead letter');
        return { status: 202, body: { id: params.id, status: 'REPLAYED' } };
      },
    }),
  ];
}
