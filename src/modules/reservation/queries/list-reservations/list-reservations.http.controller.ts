import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationViewSchema } from '../../reservation.schemas';
import type { ListReservationsQuery } from './list-reservations.query';
import { listReservationsQuery } from './list-reservations.request.dto';

export function listReservationsRoute(query: ListReservationsQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/reservations',
    summary: 'The caller’s reservations, newest first',
    tags: ['reservations'],
    access: 'user',
    query: listReservationsQuery,
    responses: {
      200: { description: 'A page of reservations', schema: z.object({ items: z.array(reservationViewSchema), nextBefore: z.number().int().nullable() }) },
    },
    handle: async ({ query: q, user }) => ({ status: 200, body: await query.list(user.id, q.limit, q.before) }),
  });
}
