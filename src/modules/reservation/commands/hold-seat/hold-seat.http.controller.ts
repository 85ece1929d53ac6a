import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationViewSchema } from '../../reservation.view';
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
    body: holdSeatRequest,
    responses: {
      201: { description: 'The seat is held until expiresAt', schema: reservationViewSchema },
      404: { description: 'SCHEDULE_NOT_FOUND or SEAT_NOT_FOUND' },
      409: { description: 'SEAT_UNAVAILABLE or HOLD_LIMIT_REACHED' },
    },
    handle: async ({ body, user }) => ({ status: 201, body: await service.hold(user.id, body) }),
  });
}
