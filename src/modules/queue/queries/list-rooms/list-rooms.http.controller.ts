import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { roomViewSchema } from '../../queue.schemas';
import type { ListRoomsQuery } from './list-rooms.query';

export function listRoomsRoute(query: ListRoomsQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/admin/queue/rooms',
    summary: 'The waiting rooms: in force, and closed in the last day, with their pre-queue, waiting and active counts',
    tags: ['queue', 'admin'],
    access: 'admin',
    responses: { 200: { description: 'The rooms', schema: z.object({ items: z.array(roomViewSchema) }) } },
    handle: async () => ({ status: 200, body: { items: await query.list() } }),
  });
}
