import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { reservationViewSchema } from '../../reservation.view';
import { sagaViewSchema } from '../../saga/confirm-saga';
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
    idempotent: true,
    headers: [{ name: 'Prefer', required: false, description: 'RFC 7240 `wait=<seconds>`: how long to wait for the outcome (0–3, default 3)' }],
    body: confirmReservationRequest,
    responses: {
      200: { description: 'Paid and confirmed', schema: z.object({ reservation: reservationViewSchema, saga: sagaViewSchema }) },
      202: { description: 'Still running; poll GET /ticketing/sagas/{id} (Location)', schema: z.object({ saga: sagaViewSchema }) },
      402: { description: 'INSUFFICIENT_BALANCE: nothing debited, the hold stays' },
      409: { description: 'RESERVATION_NOT_PAYABLE (not yours, expired, cancelled, already confirmed, or refunded after a failed confirmation)' },
    },
    handle: async ({ body, user, header, idempotency }) => service.confirm(user.id, body.reservationId, confirmWaitMs(header('prefer')), idempotency),
  });
}
