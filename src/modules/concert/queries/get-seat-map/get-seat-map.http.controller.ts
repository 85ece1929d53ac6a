import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { idParam, seatSchema } from '../../concert.schemas';
import type { GetSeatMapQuery } from './get-seat-map.query';

const seatMapResponse = z.object({ items: z.array(seatSchema) });

export function getSeatMapRoute(query: GetSeatMapQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/search/schedules/:scheduleId/seats',
    summary: 'A schedule’s seat map: every seat with its price and AVAILABLE / HELD / SOLD (behind the waiting room)',
    tags: ['concert'],
    access: 'user',
    queuePass: true,
    passConcert: ({ params }) => query.concertOf(params.scheduleId),
    headers: [{ name: 'X-Queue-Pass', required: true, description: 'The pass of an ACTIVE queue token' }],
    params: z.object({ scheduleId: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The seats, in id order; the status may lag a hold by milliseconds', schema: seatMapResponse },
      403: { description: "QUEUE_PASS_REQUIRED or QUEUE_PASS_INVALID (also a pass of another concert's waiting room)" },
      404: { description: 'No such schedule' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.scheduleId) }),
  });
}

/** The same seat map for an operator watching a sale (the console): admin only, not behind the waiting room. */
export function getSeatMapForAdminRoute(query: GetSeatMapQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/admin/schedules/:scheduleId/seats',
    summary: 'A schedule’s seat map for an operator: every seat with its price and status, without a queue pass',
    tags: ['concert', 'admin'],
    access: 'admin',
    params: z.object({ scheduleId: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The seats, in id order', schema: seatMapResponse },
      403: { description: 'FORBIDDEN: not an admin' },
      404: { description: 'No such schedule' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.scheduleId) }),
  });
}
