import { z } from 'zod';

export const processPaymentRequest = z.strictObject({
  reservationId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export type ProcessPaymentRequest = z.infer<typeof processPaymentRequest>;

export const processPaymentResponse = z.object({
  paymentId: z.number().int(),
  reservationId: z.number().int(),
  amount: z.number().int(),
  status: z.literal('PAID'),
  balance: z.number().int(),
});
