import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';
import { DELIVERY_STATES } from '../../domain/reservation-record';

const id = integerText();
const dateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z' });

/** Unknown parameters are refused: a misspelt filter must not silently widen the result. */
export const listReservationsQuery = z
  .strictObject({
    concertId: id.optional(),
    scheduleId: id.optional(),
    /** confirmedAt ≥ from (inclusive). */
    from: dateTime.optional(),
    /** confirmedAt < to (exclusive), so consecutive ranges neither overlap nor leave gaps. */
    to: dateTime.optional(),
    status: z.enum(['CONFIRMED', 'CANCELLED', 'ALL']).default('CONFIRMED'),
    delivery: z.enum(DELIVERY_STATES).optional(),
    page: integerText({ min: 1, max: 1_000_000 }).default(1),
    pageSize: integerText({ min: 1, max: 500 }).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { path: ['to'], message: 'must be later than from' });

export type ListReservationsRequest = z.infer<typeof listReservationsQuery>;
