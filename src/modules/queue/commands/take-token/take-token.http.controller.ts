import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { ticketViewSchema } from '../../queue.schemas';
import type { TakeTokenService } from './take-token.service';

export function takeTokenRoute(service: TakeTokenService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/queue/token',
    summary: 'Join the waiting room (or get the token you already hold)',
    description:
      'One live token per user and room: asking again returns the same token with 200. When nobody is waiting and capacity is free, ' +
      'the token is ACTIVE at once and carries the queue pass. With `concertId` of a concert that has a waiting room, the token ' +
      'joins that room (its pass opens that concert only); before the room opens it is `PRE_QUEUE` (no position; `opensAt` says ' +
      'when the sale opens), and at the opening every pre-queue token gets a random place ahead of later arrivals. Without ' +
      '`concertId`, or for a concert without a room, the default room.',
    tags: ['queue'],
    access: 'user',
    body: z.strictObject({ concertId: z.number().int().positive().max(2_147_483_647).optional() }).optional(),
    bodyExample: { concertId: 1 },
    errors: { QUEUE_ROOM_LIMIT_REACHED: 409 },
    responses: {
      201: { description: 'A new token', schema: ticketViewSchema },
      200: { description: 'The live token the caller already holds', schema: ticketViewSchema },
      409: { description: 'QUEUE_ROOM_LIMIT_REACHED: places held in QUEUE_MAX_ROOMS_PER_USER rooms already' },
    },
    handle: async ({ user, body }) => {
      const { view, created } = await service.join(user.id, body?.concertId);
      return { status: created ? 201 : 200, body: view };
    },
  });
}
