import { z } from 'zod';

export const confirmReservationRequest = z.strictObject({
  reservationId: z.number().int('must be an integer').positive('must be a positive integer').max(Number.MAX_SAFE_INTEGER),
});

export type ConfirmReservationRequest = z.infer<typeof confirmReservationRequest>;

export const DEFAULT_WAIT_MS = 3000;

/**
 * RFC 7240 `Prefer: wait=<seconds>`: how long the client is willing to wait for the outcome
 * (at most the default of 3 s; `wait=0` answers 202 at once while the saga runs).
 */
export function preferredWaitMs(prefer: string | undefined): number {
  const match = prefer ? /(?:^|[,;\s])wait=(\d{1,6})(?:$|[,;\s])/i.exec(prefer) : null;
  return match ? Math.min(Number(match[1]) * 1000, DEFAULT_WAIT_MS) : DEFAULT_WAIT_MS;
}
