import { z } from 'zod';
import { preferredWaitMs } from '../../../../platform/http/prefer';

export const confirmReservationRequest = z.strictObject({
  reservationId: z.number().int('must be an integer').positive('must be a positive integer').max(Number.MAX_SAFE_INTEGER),
});

export type ConfirmReservationRequest = z.infer<typeof confirmReservationRequest>;

export const DEFAULT_WAIT_MS = 3000;

/** How long to wait for the saga's outcome: at most the default of 3 s; `wait=0` answers 202 at once while the saga runs. */
export const confirmWaitMs = (prefer: string | undefined): number => preferredWaitMs(prefer, DEFAULT_WAIT_MS, DEFAULT_WAIT_MS);
