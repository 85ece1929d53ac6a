import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { DELIVERY_STATES, RECORD_STATUSES } from '../../domain/reservation-record';
import type { ListReservationsQuery } from './list-reservations.query';
import { listReservationsQuery } from './list-reservations.request.dto';

const feedItem = z.object({
  reservationId: z.number().int(),
  userId: z.number().int(),
  concertId: z.number().int(),
  concertTitle: z.string().nullable(),
  scheduleId: z.number().int(),
  startsAt: z.string().nullable(),
  seatId: z.number().int(),
  seatLabel: z.string(),
  amount: z.number().int(),
  paymentId: z.number().int(),
  confirmedAt: z.string(),
  receivedAt: z.string(),
  status: z.enum(RECORD_STATUSES),
  cancelledAt: z.string().nullable(),
  delivery: z.enum(DELIVERY_STATES),
  deliveryAttempts: z.number().int(),
  deliveredAt: z.string().nullable(),
  nextDeliveryAttemptAt: z.string().nullable(),
  lastDeliveryError: z.string().nullable(),
});

const feedPage = z.object({
  items: z.array(feedItem),
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int(),
  summary: z.object({ count: z.number().int(), revenue: z.number().int() }),
});

export function listReservationsRoute(query: ListReservationsQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/data-platform/reservations',
    summary: 'Confirmed reservations received by the data platform, filtered and paginated, with a summary of the whole filtered set',
    tags: ['data-platform'],
    access: 'admin',
    query: listReservationsQuery,
    responses: {
      200: { description: 'One page of the feed, oldest confirmation first; summary covers every matching record', schema: feedPage },
      400: { description: 'VALIDATION_FAILED: a filter is malformed or unknown' },
    },
    handle: async ({ query: request }) => ({ status: 200, body: await query.execute(request) }),
  });
}
