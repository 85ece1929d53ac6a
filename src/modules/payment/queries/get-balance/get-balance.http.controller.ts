import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import type { GetBalanceQuery } from './get-balance.query';

export function getBalanceRoute(query: GetBalanceQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/balance',
    summary: 'The caller’s point balance',
    tags: ['payments'],
    access: 'user',
    responses: { 200: { description: 'The balance (0 if never charged)', schema: z.object({ balance: z.number().int() }) } },
    handle: async ({ user }) => ({ status: 200, body: await query.execute(user.id) }),
  });
}
