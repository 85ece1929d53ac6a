import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { publicUserSchema } from '../../auth.schemas';
import type { MeQuery } from './me.query';

export function meRoute(query: MeQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/auth/me',
    summary: 'The caller’s account',
    tags: ['auth'],
    access: 'user',
    errors: { UNAUTHORIZED: 401 },
    responses: {
      200: { description: 'The account', schema: publicUserSchema },
      401: { description: 'UNAUTHORIZED: the token is missing, invalid or expired, or its account no longer exists' },
    },
    handle: async ({ user }) => ({ status: 200, body: await query.execute(user.id) }),
  });
}
