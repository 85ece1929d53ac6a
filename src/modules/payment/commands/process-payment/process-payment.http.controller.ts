import { defineRoute, type HttpResult, type RouteDefinition } from '../../../../platform/http/route';
import { scopeOf } from '../../../../platform/idempotency/idempotency-store';
import { processPaymentRequest, processPaymentResponse } from './process-payment.request.dto';
import type { ProcessPaymentResult, ProcessPaymentService } from './process-payment.service';

const paidResponse = (result: ProcessPaymentResult): HttpResult => ({ status: 200, body: result });

export function processPaymentRoute(service: ProcessPaymentService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/payments/process',
    summary: 'Pay for a held reservation with points (choreography: the reservation is confirmed through events)',
    tags: ['payments'],
    access: 'user',
    // Pays for a seat held during the visit: still allowed once the visit ended with another purchase.
    queuePass: 'checkout',
    passConcert: ({ body, user }) => service.concertOf(user.id, body.reservationId),
    idempotent: true,
    body: processPaymentRequest,
    errors: { INSUFFICIENT_BALANCE: 402, RESERVATION_NOT_PAYABLE: 409 },
    responses: {
      200: { description: 'Paid; the reservation becomes CONFIRMED through events', schema: processPaymentResponse },
      402: { description: 'INSUFFICIENT_BALANCE (nothing changed)' },
      409: { description: 'RESERVATION_NOT_PAYABLE (expired, cancelled, already paid, not yours); IDEMPOTENCY_IN_FLIGHT' },
      422: { description: 'IDEMPOTENCY_KEY_REUSED' },
    },
    handle: async ({ body, user, idempotency }) => paidResponse(await service.process(user.id, body.reservationId, scopeOf(idempotency, paidResponse))),
  });
}
