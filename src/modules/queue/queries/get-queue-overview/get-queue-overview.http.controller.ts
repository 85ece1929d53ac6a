import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueOverviewSchema } from '../../queue.schemas';
import type { QueueEngine } from '../../queue-engine';

export function getQueueOverviewRoute(engine: QueueEngine): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/admin/queue',
    summary: 'Waiting room state: waiting, active, admissions per minute, oldest wait, flow settings',
    tags: ['queue', 'admin'],
    access: 'admin',
    responses: { 200: { description: 'Queue state', schema: queueOverviewSchema } },
    handle: async () => ({ status: 200, body: engine.overview() }),
  });
}
