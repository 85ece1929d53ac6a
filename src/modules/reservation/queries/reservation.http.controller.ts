import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../platform/http/route';
import { RESERVATION_EVENT_TYPES } from '../domain/reservation.events';
import { reservationViewSchema } from '../reservation.view';
import { listReservationsQuery, reservationIdParams, type ReservationQueries } from './reservation.queries';

export function reservationQueryRoutes(queries: ReservationQueries): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/ticketing/reservations',
      summary: 'The caller’s reservations, newest first',
      tags: ['reservations'],
      access: 'user',
      query: listReservationsQuery,
      responses: { 200: { description: 'A page of reservations', schema: z.object({ items: z.array(reservationViewSchema), nextBefore: z.number().int().nullable() }) } },
      handle: async ({ query, user }) => ({ status: 200, body: await queries.list(user.id, query.limit, query.before) }),
    }),
    defineRoute({
      method: 'get',
      path: '/ticketing/reservations/:id',
      summary: 'One of the caller’s reservations',
      tags: ['reservations'],
      access: 'user',
      params: reservationIdParams,
      responses: {
        200: { description: 'The reservation', schema: reservationViewSchema },
        404: { description: 'RESERVATION_NOT_FOUND (also for another user’s reservation)' },
      },
      handle: async ({ params, user }) => ({ status: 200, body: await queries.get(user.id, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/ticketing/reservations/:id/history',
      summary: 'The reservation’s events from the event store, in version order',
      tags: ['reservations'],
      access: 'user',
      params: reservationIdParams,
      responses: {
        200: {
          description: 'The event stream',
          schema: z.object({ items: z.array(z.object({ type: z.enum(RESERVATION_EVENT_TYPES as [string, ...string[]]), version: z.number().int(), occurredAt: z.string(), data: z.unknown() })) }),
        },
        404: { description: 'RESERVATION_NOT_FOUND' },
      },
      handle: async ({ params, user }) => ({ status: 200, body: await queries.history(user.id, params.id) }),
    }),
  ];
}
