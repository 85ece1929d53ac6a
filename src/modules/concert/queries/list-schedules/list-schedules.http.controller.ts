import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { idParam, scheduleSchema } from '../../concert.schemas';
import type { ListSchedulesQuery } from './list-schedules.query';

export function listSchedulesRoute(query: ListSchedulesQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/search/concerts/:id/schedules',
    summary: 'A concert’s schedules, earliest first, with total and available seats (behind the waiting room)',
    tags: ['concert'],
    access: 'user',
    queuePass: true,
    headers: [{ name: 'X-Queue-Pass', required: true, description: 'The pass of an ACTIVE queue token' }],
    params: z.object({ id: idParam }),
    errors: { NOT_FOUND: 404 },
    responses: {
      200: { description: 'The schedules', schema: z.object({ items: z.array(scheduleSchema) }) },
      403: { description: 'QUEUE_PASS_REQUIRED or QUEUE_PASS_INVALID' },
      404: { description: 'No such concert' },
    },
    handle: async ({ params }) => ({ status: 200, body: await query.execute(params.id) }),
  });
}
