import { z } from 'zod';
import { integerText } from '../../platform/http/input-schemas';
import { SEAT_STATUSES } from './domain/seat-map';

/** Ids in paths: positive integers that fit SQLite's integer, in plain decimal; anything else is a 400. */
export const idParam = integerText();

export const concertSummarySchema = z.object({ id: z.number().int(), title: z.string(), artist: z.string(), venue: z.string() });

export const scheduleSchema = z.object({
  id: z.number().int(),
  concertId: z.number().int(),
  startsAt: z.string(),
  totalSeats: z.number().int(),
  availableSeats: z.number().int(),
});

export const seatSchema = z.object({ id: z.number().int(), label: z.string(), price: z.number().int(), status: z.enum(SEAT_STATUSES) });
