import { z } from 'zod';
import { preferredWaitMs } from '../../../platform/http/prefer';
import { defineRoute, type RouteDefinition } from '../../../platform/http/route';
import { RESERVATION_EVENT_TYPES } from '../domain/reservation.events';
import { reservationViewSchema } from '../reservation.view';
import { listReservationsQuery, MAX_CHANGE_WAIT_MS, reservationIdParams, type ReservationQueries } from './reservation.queries';

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
      description:
        'Answers with an `ETag` for the state it shows. To wait for the outcome of a payment instead of polling, send that tag in `If-None-Match` with `Prefer: wait=<seconds>` (at most 30): the answer comes as soon as the reservation changes (200), or when the time is up with 304 Not Modified. `If-None-Match` alone is an ordinary conditional GET.',
      tags: ['reservations'],
      access: 'user',
      params: reservationIdParams,
      headers: [
        { name: 'If-None-Match', required: false, description: 'An `ETag` this reservation was seen with: answer 304 while it still matches' },
        { name: 'Prefer', required: false, description: 'RFC 7240 `wait=<seconds>` (0–30), with `If-None-Match`: how long to wait for a change before answering 304' },
      ],
      responses: {
        200: { description: 'The reservation, with its `ETag`', schema: reservationViewSchema },
        304: { description: 'Not modified: it still matches `If-None-Match` (after waiting, if `Prefer: wait` asked to)' },
        404: { description: 'RESERVATION_NOT_FOUND (also for another user’s reservation)' },
      },
      handle: async ({ params, user, header }) => {
        const ifNoneMatch = header('if-none-match');
        const waitMs = ifNoneMatch === undefined ? 0 : preferredWaitMs(header('prefer'), MAX_CHANGE_WAIT_MS, 0);
        const result = await queries.get(user.id, params.id, ifNoneMatch === undefined ? undefined : { ifNoneMatch, waitMs });
        const headers: Record<string, string> = { ETag: result.etag, 'Cache-Control': 'private, no-cache' };
        if (waitMs > 0) headers['Preference-Applied'] = `wait=${waitMs / 1000}`;
        return 'notModified' in result ? { status: 304, headers } : { status: 200, body: result.view, headers };
      },
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
