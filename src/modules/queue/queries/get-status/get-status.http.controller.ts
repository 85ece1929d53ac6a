import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { queueTokenFrom, queueTokenHeaderDoc, ticketViewSchema } from '../../queue.schemas';
import type { GetStatusQuery } from './get-status.query';

export function getStatusRoute(query: GetStatusQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/queue/status',
    summary: 'Position, wait estimate and, once admitted, the queue pass',
    description: 'Poll no sooner than `pollAfterSeconds`; polling much faster gets 429 with `Retry-After`.',
    tags: ['queue'],
    access: 'user',
    headers: [queueTokenHeaderDoc],
    errors: { QUEUE_TOKEN_NOT_FOUND: 404, RATE_LIMITED: 429 },
    responses: {
      200: { description: 'The token’s state', schema: ticketViewSchema },
      400: { description: 'VALIDATION_FAILED: X-Queue-Token missing or malformed' },
      404: { description: 'QUEUE_TOKEN_NOT_FOUND: no token of yours matches' },
      429: { description: 'RATE_LIMITED: polling faster than advised' },
    },
    handle: async ({ user, header }) => ({ status: 200, body: await query.status(user.id, queueTokenFrom(header)) }),
  });
}
