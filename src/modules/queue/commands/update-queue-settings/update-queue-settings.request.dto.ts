import { z } from 'zod';

export const updateQueueSettingsRequest = z
  .strictObject({
    maxActive: z.number().int().min(1).max(1_000_000).nullable().optional(),
    admitPerSecond: z.number().int().min(1).max(100_000).nullable().optional(),
  })
  .refine((v) => v.maxActive !== undefined || v.admitPerSecond !== undefined, {
    message: 'give maxActive and/or admitPerSecond (null restores the configured default)',
  });

export type UpdateQueueSettingsRequest = z.infer<typeof updateQueueSettingsRequest>;
