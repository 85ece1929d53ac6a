import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { scopeOf } from '../../../../platform/idempotency/idempotency-store';
import { chargedResponse } from './charge.responses';
import type { ChargeService } from './charge.service';
import { chargeRequest, chargeResponse } from './charge.request.dto';

export function chargeRoute(service: ChargeService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/payments/charge',
    summary: 'Charge points (integer won, 1 to 1 000 000) through the payment gateway',
    description:
      'Send an `Idempotency-Key` to be able to repeat the request safely: a repeat continues the same gateway attempt (its id comes from your user and the key), so the card is charged at most once, and answers its outcome once known.',
    tags: ['payments'],
    access: 'user',
    idempotent: true,
    body: chargeRequest,
    responses: {
      200: { description: 'Charged; transactionId is the CHARGE ledger entry', schema: chargeResponse },
      402: { description: 'PAYMENT_DECLINED by the gateway (nothing charged)' },
      409: { description: 'IDEMPOTENCY_IN_FLIGHT: the first request with this key is still running, or its gateway outcome is not known yet (retry after Retry-After; the same charge is continued, never repeated)' },
      422: { description: 'BALANCE_LIMIT_EXCEEDED; IDEMPOTENCY_KEY_REUSED' },
      503: { description: 'PAYMENT_GATEWAY_UNAVAILABLE (nothing charged); PAYMENT_OUTCOME_UNKNOWN (the gateway may have charged: with a key, repeat it to continue the same charge; without, it is settled later, see /payments/history)' },
    },
    handle: async ({ body, user, idempotency }) => chargedResponse(await service.charge(user.id, body.amount, scopeOf(idempotency, chargedResponse))),
  });
}
