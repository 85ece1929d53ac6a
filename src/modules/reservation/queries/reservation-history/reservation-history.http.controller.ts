import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { RESERVATION_EVENT_TYPES } from '../../domain/reservation.events';
import { reservationIdParams } from '../../reservation.schemas';
import type { ReservationHistoryQuery } from './reservation-history.query';

export function reservationHistoryRoute(query: ReservationHistoryQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/reservations/:id/history',
    summary: 'The reservation’s events from the event store, in version order',
    tags: ['reservations'],
    access: 'user',
    params: reservationIdParams,
    errors: { RESERVATION_NOT_FOUND: 404 },
    responses: {
      200: {
        description: 'The event stream',
        schema: z.object({
          items: z.array(
            z.object({ type: z.enum(RESERVATION_EVENT_TYPES as [string, ...string[]]), version: z.number().int(), occurredAt: z.string(), data: z.unknown() }),
          ),
        }),
      },
      404: { description: 'RESERVATION_NOT_FOUND' },
    },
    handle: async ({ params, user }) => ({ status: 200, body: await query.history(user.id, params.id) }),
  });
}
