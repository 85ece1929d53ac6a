import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationViewSchema, sagaViewSchema } from '../../reservation.schemas';
import { confirmReservationRequest, confirmWaitMs } from './confirm-reservation.request.dto';
import type { ConfirmReservationService } from './confirm-reservation.service';

export function confirmReservationRoute(service: ConfirmReservationService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/ticketing/reservations/confirm',
    summary: 'Pay for a hold and confirm it (orchestrated saga)',
    tags: ['reservations'],
    access: 'user',
    // Pays for a seat held during the visit: still allowed once the visit ended with another purchase.
    queuePass: 'checkout',
    passConcert: ({ body, user }) => service.concertOf(user.id, body.reservationId),
    idempotent: true,
    headers: [{ name: 'Prefer', required: false, description: 'RFC 7240 `wait=<seconds>`: how long to wait for the outcome (0–3, default 3)' }],
    body: confirmReservationRequest,
    errors: { INSUFFICIENT_BALANCE: 402, RESERVATION_NOT_PAYABLE: 409, CONCURRENT_MODIFICATION: 409 },
    responses: {
      200: { description: 'Paid and confirmed', schema: z.object({ reservation: reservationViewSchema, saga: sagaViewSchema }) },
      202: { description: 'Still running; poll GET /ticketing/sagas/{id} (Location)', schema: z.object({ saga: sagaViewSchema }) },
      402: { description: 'INSUFFICIENT_BALANCE: nothing debited, the hold stays' },
      409: { description: 'RESERVATION_NOT_PAYABLE (not yours, expired, cancelled, already confirmed, or refunded after a failed confirmation)' },
    },
    handle: async ({ body, user, header, idempotency }) => {
      const result = await service.confirm(user.id, body.reservationId, confirmWaitMs(header('prefer')), idempotency);
      switch (result.kind) {
        case 'completed':
          return { status: 200, body: { reservation: result.reservation, saga: result.saga } };
        case 'running':
          return { status: 202, body: { saga: result.saga }, headers: { Location: `/ticketing/sagas/${result.saga.id}` } };
        case 'failed':
          throw result.error;
      }
    },
  });
}
