import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueOverviewSchema } from '../../queue.schemas';
import { updateQueueSettingsRequest } from './update-queue-settings.request.dto';
import type { UpdateQueueSettingsService } from './update-queue-settings.service';

export function updateQueueSettingsRoute(service: UpdateQueueSettingsService): RouteDefinition {
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
    handle: async ({ body }) => ({ status: 200, body: await service.update(body) }),
  });
}
