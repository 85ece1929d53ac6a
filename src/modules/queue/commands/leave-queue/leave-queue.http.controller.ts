import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueTokenFrom, queueTokenHeaderDoc } from '../../queue.schemas';
import type { LeaveQueueService } from './leave-queue.service';

export function leaveQueueRoute(service: LeaveQueueService): RouteDefinition {
  return defineRoute({
    method: 'delete',
    path: '/queue/token',
    summary: 'Leave the waiting room (an active token gives its slot back)',
    tags: ['queue'],
    access: 'user',
    headers: [queueTokenHeaderDoc],
    errors: { QUEUE_TOKEN_NOT_FOUND: 404 },
    responses: {
      204: { description: 'Left (also when the token had already ended)' },
      400: { description: 'VALIDATION_FAILED: X-Queue-Token missing or malformed' },
      404: { description: 'QUEUE_TOKEN_NOT_FOUND: no token of yours matches' },
    },
    handle: async ({ user, header }) => {
      await service.leave(user.id, queueTokenFrom(header));
      return { status: 204 };
    },
  });
}
