import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationIdParams, reservationViewSchema } from '../../reservation.schemas';
import type { CancelReservationService } from './cancel-reservation.service';

export function cancelReservationRoute(service: CancelReservationService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/ticketing/reservations/:id/cancel',
    summary: 'Cancel a hold, or a confirmed reservation (refunded through events)',
    tags: ['reservations'],
    access: 'user',
    params: reservationIdParams,
    errors: { RESERVATION_NOT_FOUND: 404, RESERVATION_NOT_CANCELLABLE: 409, TICKET_ALREADY_USED: 409, CONCURRENT_MODIFICATION: 409 },
    responses: {
      200: { description: 'The cancelled reservation', schema: reservationViewSchema },
      404: { description: 'RESERVATION_NOT_FOUND (also for another user’s reservation)' },
      409: {
        description:
          'RESERVATION_NOT_CANCELLABLE; TICKET_ALREADY_USED (its e-ticket admitted the holder at the door: not refunded); CONCURRENT_MODIFICATION (changed by a concurrent request; retry)',
      },
    },
    handle: async ({ params, user }) => ({ status: 200, body: await service.cancel(user.id, params.id) }),
  });
}
