import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import type { PaymentHistoryQuery } from './payment-history.query';

export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 200;

const historyQuery = z.object({
  limit: integerText({ min: 1, max: MAX_HISTORY_LIMIT }).default(DEFAULT_HISTORY_LIMIT),
  before: integerText().optional(),
});

const historyResponse = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      type: z.enum(['CHARGE', 'PAYMENT', 'REFUND']),
      amount: z.number().int().positive(),
      balanceAfter: z.number().int(),
      reservationId: z.number().int().optional(),
      paymentId: z.number().int().optional(),
      createdAt: z.string(),
    }),
  ),
  nextBefore: z.number().int().nullable(),
});

export function paymentHistoryRoute(query: PaymentHistoryQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/payments/history',
    summary: 'The caller’s ledger, newest first (page with `limit` and `before`)',
    tags: ['payments'],
    access: 'user',
    query: historyQuery,
    responses: { 200: { description: 'Ledger entries, newest first; amount is positive and type gives the direction', schema: historyResponse } },
    handle: async ({ user, query: q }) => ({ status: 200, body: await query.execute(user.id, q.limit, q.before) }),
  });
}
