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
      'One live token per user: asking again returns the same token with 200. When nobody is waiting and capacity is free, ' +
      'the token is ACTIVE at once and carries the queue pass.',
    tags: ['queue'],
    access: 'user',
    body: z.strictObject({}).optional(),
    responses: {
      201: { description: 'A new token', schema: ticketViewSchema },
      200: { description: 'The live token the caller already holds', schema: ticketViewSchema },
    },
    handle: async ({ user }) => {
      const { view, created } = await service.join(user.id);
      return { status: created ? 201 : 200, body: view };
    },
  });
}
