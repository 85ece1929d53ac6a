import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { scheduleSchema } from '../../concert.schemas';
import { CREATE_CONCERT_BODY_LIMIT_BYTES, CREATE_CONCERT_MAX_VALUES, createConcertRequest } from './create-concert.request.dto';
import type { CreateConcertService } from './create-concert.service';

const createdConcertSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  artist: z.string(),
  venue: z.string(),
  schedules: z.array(scheduleSchema.extend({ seats: z.array(z.object({ id: z.number().int(), label: z.string(), price: z.number().int() })) })),
});

export function createConcertRoute(service: CreateConcertService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/admin/concerts',
    summary: 'Create a concert with its schedules and seats (publishes each schedule to the other modules)',
    tags: ['concert'],
    access: 'admin',
    body: createConcertRequest,
    bodyLimitBytes: CREATE_CONCERT_BODY_LIMIT_BYTES,
    bodyMaxValues: CREATE_CONCERT_MAX_VALUES,
    responses: {
      201: { description: 'The concert with its schedules and seat ids', schema: createdConcertSchema },
      400: {
        description:
          'VALIDATION_FAILED: empty or over-long text, bad date-time, no schedule or seat, duplicate seat label in a schedule, price not an integer 1…10 000 000, more than 50 schedules, 5 000 seats per schedule or 20 000 seats in all',
      },
    },
    handle: async ({ body }) => ({ status: 201, body: await service.create(body) }),
  });
}
