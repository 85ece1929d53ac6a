import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import type { ChargeService } from './charge.service';
import { chargeRequest, chargeResponse } from './charge.request.dto';

export function chargeRoute(service: ChargeService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/payments/charge',
    summary: 'Charge points (integer won, 1 to 1 000 000) through the payment gateway',
    tags: ['payments'],
    access: 'user',
    idempotent: true,
    body: chargeRequest,
    responses: {
      200: { description: 'Charged; transactionId is the CHARGE ledger entry', schema: chargeResponse },
      402: { description: 'PAYMENT_DECLINED by the gateway (nothing charged)' },
      409: { description: 'IDEMPOTENCY_IN_FLIGHT' },
      422: { description: 'BALANCE_LIMIT_EXCEEDED; IDEMPOTENCY_KEY_REUSED' },
      503: { description: 'PAYMENT_GATEWAY_UNAVAILABLE (nothing charged)' },
    },
    handle: async ({ body, user }) => ({ status: 200, body: await service.charge(user.id, body.amount) }),
  });
}
