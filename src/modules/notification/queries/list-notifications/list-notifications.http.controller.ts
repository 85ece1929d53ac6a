import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { notificationViewSchema } from '../../notification.schemas';
import type { ListNotificationsQuery } from './list-notifications.query';
import { listNotificationsQuery } from './list-notifications.request.dto';

export function listNotificationsRoute(query: ListNotificationsQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/notifications',
    summary: 'The caller’s notifications, newest first',
    description:
      'One notification per confirmation, cancellation, expiry, refund and failed confirmation, in the language chosen at signup. Pass `nextCursor` as `cursor` for the next page; no `nextCursor` means this was the last.',
    tags: ['notifications'],
    access: 'user',
    query: listNotificationsQuery,
    responses: {
      200: { description: 'A page of notifications', schema: z.object({ items: z.array(notificationViewSchema), nextCursor: z.string().optional() }) },
    },
    handle: async ({ user, query: q }) => ({ status: 200, body: await query.list(user.id, q.cursor ?? null, q.limit) }),
  });
}
