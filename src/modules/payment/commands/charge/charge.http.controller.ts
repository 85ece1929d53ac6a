import type { DomainError } from '../../../../platform/domain/domain-error';
import { problemFor } from '../../../../platform/http/domain-problem';
import { defineRoute, type HttpResult, type RouteDefinition } from '../../../../platform/http/route';
import { scopeOf } from '../../../../platform/idempotency/idempotency-store';
import { chargeRequest, chargeResponse } from './charge.request.dto';
import type { ChargeResult, ChargeService } from './charge.service';

const CHARGE_ROUTE = 'POST /payments/charge';

/**
 * The charge route's refusals, by status. The settle job stores the answers of keyed charges it
 * resolves by the same map (chargeRefusal), so the route and the job cannot disagree.
 */
export const CHARGE_ERRORS = {
  PAYMENT_DECLINED: 402,
  BALANCE_LIMIT_EXCEEDED: 422,
  PAYMENT_GATEWAY_UNAVAILABLE: 503,
  PAYMENT_OUTCOME_UNKNOWN: 503,
} as const;

/** How a credited charge is answered: by the request, or stored for its key by whoever settles the attempt later. */
export const chargedResponse = (result: ChargeResult): HttpResult => ({ status: 200, body: result });

/** How a refused charge is answered when no request is there to answer it (the settle job storing a key's answer). */
export const chargeRefusal = (error: DomainError) => problemFor(error, CHARGE_ERRORS, CHARGE_ROUTE);

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
    errors: CHARGE_ERRORS,
    responses: {
      200: { description: 'Charged; transactionId is the CHARGE ledger entry', schema: chargeResponse },
      402: { description: 'PAYMENT_DECLINED by the gateway (nothing charged)' },
      409: {
        description:
          'IDEMPOTENCY_IN_FLIGHT: the first request with this key is still running, or its gateway outcome is not known yet (retry after Retry-After; the same charge is continued, never repeated)',
      },
      422: { description: 'BALANCE_LIMIT_EXCEEDED; IDEMPOTENCY_KEY_REUSED' },
      503: {
        description:
          'PAYMENT_GATEWAY_UNAVAILABLE (nothing charged); PAYMENT_OUTCOME_UNKNOWN (the gateway may have charged: with a key, repeat it to continue the same charge; without, it is settled later, see /payments/history)',
      },
    },
    handle: async ({ body, user, idempotency }) => chargedResponse(await service.charge(user.id, body.amount, scopeOf(idempotency, chargedResponse))),
  });
}
