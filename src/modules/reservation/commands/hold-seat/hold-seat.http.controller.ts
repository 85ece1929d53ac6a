import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationViewSchema } from '../../reservation.schemas';
import { holdSeatRequest } from './hold-seat.request.dto';
import type { HoldSeatService } from './hold-seat.service';

export function holdSeatRoute(service: HoldSeatService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/ticketing/reservations/new',
    summary: 'Hold a seat (temporary reservation)',
    tags: ['reservations'],
    access: 'user',
    queuePass: true,
    passConcert: ({ body }) => service.concertOf(body.scheduleId),
    body: holdSeatRequest,
    errors: { SCHEDULE_NOT_FOUND: 404, SEAT_NOT_FOUND: 404, SEAT_UNAVAILABLE: 409, HOLD_LIMIT_REACHED: 409, CONCURRENT_MODIFICATION: 409 },
    responses: {
      201: {
        description: 'The seat is held until expiresAt. `ETag` tags this state, for a later `GET` with `If-None-Match` and `Prefer: wait`.',
        schema: reservationViewSchema,
      },
      404: { description: 'SCHEDULE_NOT_FOUND or SEAT_NOT_FOUND' },
      409: { description: 'SEAT_UNAVAILABLE or HOLD_LIMIT_REACHED (CONCURRENT_MODIFICATION: changed by a concurrent request; retry)' },
    },
    handle: async ({ body, user }) => {
      const { view, etag } = await service.hold(user.id, body);
      return { status: 201, body: view, headers: { ETag: etag, Location: `/ticketing/reservations/${view.id}` } };
    },
  });
}
