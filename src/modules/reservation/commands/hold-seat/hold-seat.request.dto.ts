import { z } from 'zod';

const id = z.number().int('must be an integer').positive('must be a positive integer').max(Number.MAX_SAFE_INTEGER);

export const holdSeatRequest = z.strictObject({
  scheduleId: id,
  seatId: id,
});

export type HoldSeatRequest = z.infer<typeof holdSeatRequest>;
