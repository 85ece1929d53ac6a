import { z } from 'zod';
import { LIMITS } from '../../domain/money';

export const chargeRequest = z.strictObject({
  amount: z
    .number()
    .int('must be a whole number of won')
    .min(LIMITS.minCharge, `must be at least ${LIMITS.minCharge}`)
    .max(LIMITS.maxCharge, `must be at most ${LIMITS.maxCharge}`),
});

export type ChargeRequest = z.infer<typeof chargeRequest>;

export const chargeResponse = z.object({ balance: z.number().int(), transactionId: z.number().int() });
