import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { concertSummarySchema } from '../../concert.schemas';
import type { ListConcertsQuery } from './list-concerts.query';
import { listConcertsQuery } from './list-concerts.request.dto';

const concertPageSchema = z.object({ items: z.array(concertSummarySchema), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() });

export function listConcertsRoute(query: ListConcertsQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/search/concerts',
    summary: 'The concert catalogue, oldest first, one page at a time (?page=1&pageSize=20, pageSize ≤ 100)',
    tags: ['concert'],
    access: 'public',
    query: listConcertsQuery,
    responses: {
      200: { description: 'One page of concerts with the total count', schema: concertPageSchema },
      400: { description: 'VALIDATION_FAILED: page or pageSize not a positive integer, pageSize over 100' },
    },
    handle: async ({ query: input }) => ({ status: 200, body: await query.execute(input) }),
  });
}
