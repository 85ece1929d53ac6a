import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueOverviewSchema, updateQueueSettingsRequest } from '../../queue.schemas';
import type { QueueEngine } from '../../queue-engine';

export function updateQueueSettingsRoute(engine: QueueEngine): RouteDefinition {
  return defineRoute({
    method: 'patch',
    path: '/admin/queue',
    summary: 'Change the flow during a sale: maxActive and/or admitPerSecond (null restores the configured default)',
    description: 'Takes effect at the next admission round and survives a restart.',
    tags: ['queue', 'admin'],
    access: 'admin',
    body: updateQueueSettingsRequest,
    bodyExample: { maxActive: 500, admitPerSecond: 50 },
    responses: { 200: { description: 'Queue state with the new settings', schema: queueOverviewSchema } },
    handle: async ({ body }) => ({ status: 200, body: await engine.updateSettings(body) }),
  });
}
