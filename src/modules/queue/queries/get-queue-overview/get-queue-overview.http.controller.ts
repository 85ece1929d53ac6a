import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueOverviewSchema } from '../../queue.schemas';
import type { GetQueueOverviewQuery } from './get-queue-overview.query';

export function getQueueOverviewRoute(query: GetQueueOverviewQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/admin/queue',
    summary: 'Waiting room state: waiting, active, admissions per minute, oldest wait, flow settings',
    tags: ['queue', 'admin'],
    access: 'admin',
    responses: { 200: { description: 'Queue state', schema: queueOverviewSchema } },
    handle: async () => ({ status: 200, body: await query.overview() }),
  });
}
