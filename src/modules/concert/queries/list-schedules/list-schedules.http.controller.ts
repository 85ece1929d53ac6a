import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { idParam, scheduleSchema } from '../../concert.schemas';
import type { ListSchedulesQuery } from './list-schedules.query';

const schedulesResponse = z.object({ items: z.array(scheduleSchema) });

export function listSchedulesRoute(query: ListSchedulesQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/search/concerts/:id/schedules',
    summary: 'A concert’s schedules, earliest first, with total and available seats (behind the waiting room)',
    tags: ['concert'],
    access: 'user',
    queuePass: true,
    passConcert: async ({ params }) => params.id,
    headers: [{ name: 'X-Queue-Pass', required: true, description: 'The pass of an ACTIVE queue token' }],
    params: z.object({ id: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The schedules', schema: schedulesResponse },
      403: { description: "QUEUE_PASS_REQUIRED or QUEUE_PASS_INVALID (also a pass of another concert's waiting room)" },
      404: { description: 'No such concert' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.id) }),
  });
}

/** The same schedules for an operator watching a sale (the console): admin only, not behind the waiting room. */
export function listSchedulesForAdminRoute(query: ListSchedulesQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/admin/concerts/:id/schedules',
    summary: 'A concert’s schedules for an operator, with total and available seats, without a queue pass',
    tags: ['concert', 'admin'],
    access: 'admin',
    params: z.object({ id: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The schedules, earliest first', schema: schedulesResponse },
      403: { description: 'FORBIDDEN: not an admin' },
      404: { description: 'No such concert' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.id) }),
  });
}
