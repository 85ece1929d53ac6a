import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { notificationViewSchema } from '../../notification.schemas';
import { markReadParams } from './mark-read.request.dto';
import type { MarkReadService } from './mark-read.service';

export function markReadRoute(service: MarkReadService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/notifications/:id/read',
    summary: 'Mark one of the caller’s notifications read',
    tags: ['notifications'],
    access: 'user',
    params: markReadParams,
    errors: { NOTIFICATION_NOT_FOUND: 404 },
    responses: {
      200: { description: 'The notification, with `readAt` (the first time it was marked read)', schema: notificationViewSchema },
      404: { description: 'NOTIFICATION_NOT_FOUND (also for another user’s notification)' },
    },
    handle: async ({ params, user }) => ({ status: 200, body: await service.markRead(user.id, params.id) }),
  });
}
