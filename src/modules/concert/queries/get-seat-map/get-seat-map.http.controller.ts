import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { idParam, seatSchema } from '../../concert.schemas';
import type { GetSeatMapQuery } from './get-seat-map.query';

export function getSeatMapRoute(query: GetSeatMapQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/search/schedules/:scheduleId/seats',
    summary: 'A schedule’s seat map: every seat with its price and AVAILABLE / HELD / SOLD (behind the waiting room)',
    tags: ['concert'],
    access: 'user',
    queuePass: true,
    headers: [{ name: 'X-Queue-Pass', required: true, description: 'The pass of an ACTIVE queue token' }],
    params: z.object({ scheduleId: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The seats, in id order; the status may lag a hold by milliseconds', schema: z.object({ items: z.array(seatSchema) }) },
      403: { description: 'QUEUE_PASS_REQUIRED or QUEUE_PASS_INVALID' },
      404: { description: 'No such schedule' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.scheduleId) }),
  });
}
