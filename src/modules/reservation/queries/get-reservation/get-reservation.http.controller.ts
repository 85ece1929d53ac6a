import { preferredWaitMs } from '../../../../platform/http/prefer';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationIdParams, reservationWithTicketSchema } from '../../reservation.schemas';
import { type GetReservationQuery, MAX_CHANGE_WAIT_MS } from './get-reservation.query';

export function getReservationRoute(query: GetReservationQuery): RouteDefinition {
  return defineRoute({
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
      {
        name: 'Prefer',
        required: false,
        description: 'RFC 7240 `wait=<seconds>` (0–30), with `If-None-Match`: how long to wait for a change before answering 304',
      },
    ],
    errors: { RESERVATION_NOT_FOUND: 404 },
    responses: {
      200: { description: 'The reservation, with its `ETag`; a `CONFIRMED` one carries its e-ticket (`ticket`)', schema: reservationWithTicketSchema },
      304: { description: 'Not modified: it still matches `If-None-Match` (after waiting, if `Prefer: wait` asked to)' },
      404: { description: 'RESERVATION_NOT_FOUND (also for another user’s reservation)' },
    },
    handle: async ({ params, user, header }) => {
      const ifNoneMatch = header('if-none-match');
      const waitMs = ifNoneMatch === undefined ? 0 : preferredWaitMs(header('prefer'), MAX_CHANGE_WAIT_MS, 0);
      const result = await query.get(user.id, params.id, ifNoneMatch === undefined ? undefined : { ifNoneMatch, waitMs });
      const headers: Record<string, string> = { ETag: result.etag, 'Cache-Control': 'private, no-cache' };
      if (waitMs > 0) headers['Preference-Applied'] = `wait=${waitMs / 1000}`;
      return 'notModified' in result ? { status: 304, headers } : { status: 200, body: result.view, headers };
    },
  });
}
