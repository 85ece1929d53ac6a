import { z } from 'zod';
import { plainText } from '../../../../platform/http/input-schemas';

export const MAX_SCHEDULES_PER_CONCERT = 50;
export const MAX_SEATS_PER_SCHEDULE = 5000;
/** Seats in one request across its schedules: what sizes the body limit and the parse budget below. */
export const MAX_SEATS_PER_CONCERT = 20_000;
export const MAX_SEAT_PRICE = 10_000_000;

const EARLIEST_START = Date.UTC(2000, 0, 1);
const LATEST_START = Date.UTC(2100, 0, 1);

const required = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) });

const text = (max: number) => plainText(max, required('a string'));

const seat = z.strictObject({
  label: text(30),
  price: z
    .number(required('an integer number of won'))
    .int('must be an integer number of won')
    .min(1, 'must be at least 1 won')
    .max(MAX_SEAT_PRICE, `must be at most ${MAX_SEAT_PRICE} won`),
});

const schedule = z
  .strictObject({
    startsAt: z
      .string(required('a string'))
      .pipe(z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone (e.g. 2026-05-01T19:00:00+09:00)' }))
      .refine((v) => {
        const ms = Date.parse(v);
        return ms >= EARLIEST_START && ms < LATEST_START;
      }, 'must be between 2000 and 2100'),
    seats: z
      .array(seat, required('an array of seats'))
      .min(1, 'a schedule needs at least one seat')
      .max(MAX_SEATS_PER_SCHEDULE, `at most ${MAX_SEATS_PER_SCHEDULE} seats per schedule`),
  })
  .superRefine((value, ctx) => {
    // Labels are unique per schedule, ignoring case ("a-1" and "A-1" are the same seat to a person).
    const seen = new Map<string, number>();
    value.seats.forEach((s, index) => {
      const key = s.label.toUpperCase();
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['seats', index, 'label'],
          message: `duplicate label "${s.label}" (same as seats.${first}.label) in this schedule`,
        });
    });
  });

export const createConcertRequest = z
  .strictObject({
    title: text(200),
    artist: text(200),
    venue: text(200),
    schedules: z
      .array(schedule, required('an array of schedules'))
      .min(1, 'a concert needs at least one schedule')
      .max(MAX_SCHEDULES_PER_CONCERT, `at most ${MAX_SCHEDULES_PER_CONCERT} schedules per concert`),
  })
  .superRefine((value, ctx) => {
    const seats = value.schedules.reduce((n, s) => n + s.seats.length, 0);
    if (seats > MAX_SEATS_PER_CONCERT)
      ctx.addIssue({
        code: 'custom',
        path: ['schedules'],
        message: `at most ${MAX_SEATS_PER_CONCERT} seats per concert across its schedules (this one has ${seats})`,
      });
    // Two performances of one concert at the same instant is a typing mistake, not a plan.
    const seen = new Map<number, number>();
    value.schedules.forEach((s, index) => {
      const at = Date.parse(s.startsAt);
      const first = seen.get(at);
      if (first === undefined) seen.set(at, index);
      else ctx.addIssue({ code: 'custom', path: ['schedules', index, 'startsAt'], message: `same start time as schedules.${first}.startsAt` });
    });
  });

export type CreateConcertRequest = z.infer<typeof createConcertRequest>;

/**
 * The largest body a valid concert needs: every seat at its longest (a 30-character label of
 * 4-byte characters is 120 bytes, about 150 with its price) for the most seats, plus the schedules
 * and the text fields. A typical 5 000-seat schedule is about 200 KB.
 */
export const CREATE_CONCERT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** A seat is three values to the parse budget (its object and two separators); schedules and text fields add a few hundred. */
export const CREATE_CONCERT_MAX_VALUES = 3 * MAX_SEATS_PER_CONCERT + 1_000;
