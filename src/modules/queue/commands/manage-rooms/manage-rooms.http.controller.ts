import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { roomViewSchema } from '../../queue.schemas';
import { createRoomRequest, roomIdParams, updateRoomRequest } from './manage-rooms.request.dto';
import type { ManageRoomsService } from './manage-rooms.service';

const ROOM_ERRORS = { ROOM_NOT_FOUND: 404, ROOM_CLOSED: 409, ROOM_ALREADY_OPENED: 409 };
const roomResponses = (what: string) => ({
  200: { description: what, schema: roomViewSchema },
  404: { description: 'ROOM_NOT_FOUND' },
  409: { description: 'ROOM_CLOSED, or ROOM_ALREADY_OPENED (the opening time can change only before the opening)' },
});

/** `POST /admin/queue/rooms`, `PATCH /admin/queue/rooms/{id}`, `POST …/pause`, `…/resume`, `…/close` (ADR 0012). */
export function manageRoomsRoutes(service: ManageRoomsService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/admin/queue/rooms',
      summary: 'Create the waiting room of a concert (an on-sale), with its opening time and flow',
      description:
        'Tokens taken for the concert (`POST /queue/token {concertId}`) before `opensAt` form a pre-queue; at `opensAt` every one of ' +
        'them gets a uniformly random place ahead of later arrivals. Without `opensAt` the room is open at once. Its passes open this ' +
        "concert's schedules, seats, holds and payments only. One room per concert (closed ones aside).",
      tags: ['queue', 'admin'],
      access: 'admin',
      body: createRoomRequest,
      bodyExample: { concertId: 1, opensAt: '2026-12-24T10:00:00Z', maxActive: 500, admitPerSecond: 50 },
      errors: { ROOM_EXISTS: 409, CONCERT_NOT_FOUND: 404 },
      responses: {
        201: { description: 'The room', schema: roomViewSchema },
        404: { description: 'CONCERT_NOT_FOUND: no published concert has this id' },
        409: { description: 'ROOM_EXISTS: the concert already has a room (its id in `roomId`)' },
      },
      handle: async ({ body }) => ({ status: 201, body: await service.create(body) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/admin/queue/rooms/:id',
      summary: 'Change a room: its opening time (before the opening only), maxActive, admitPerSecond',
      description: 'A flow change takes effect at the next admission round, on every replica.',
      tags: ['queue', 'admin'],
      access: 'admin',
      params: roomIdParams,
      body: updateRoomRequest,
      bodyExample: { admitPerSecond: 200 },
      errors: ROOM_ERRORS,
      responses: roomResponses('The room'),
      handle: async ({ params, body }) => ({ status: 200, body: await service.update(params.id, body) }),
    }),
    ...(['pause', 'resume'] as const).map((action) =>
      defineRoute({
        method: 'post',
        path: `/admin/queue/rooms/:id/${action}`,
        summary: action === 'pause' ? 'Pause admissions (those in keep shopping; nobody new is let in)' : 'Resume admissions',
        tags: ['queue', 'admin'],
        access: 'admin',
        params: roomIdParams,
        body: z.strictObject({}).optional(),
        errors: ROOM_ERRORS,
        responses: roomResponses('The room'),
        handle: async ({ params }) => ({ status: 200, body: await service.setPaused(params.id, action === 'pause') }),
      }),
    ),
    defineRoute({
      method: 'post',
      path: '/admin/queue/rooms/:id/close',
      summary: 'Close a room: its tokens end, its passes stop working, its concert goes back to the default room',
      tags: ['queue', 'admin'],
      access: 'admin',
      params: roomIdParams,
      body: z.strictObject({}).optional(),
      errors: ROOM_ERRORS,
      responses: roomResponses('The closed room'),
      handle: async ({ params }) => ({ status: 200, body: await service.close(params.id) }),
    }),
  ];
}
