import { z } from 'zod';
import { integerText } from '../../../../platform/http/input-schemas';

const maxActive = z.number().int().min(1).max(1_000_000);
const admitPerSecond = z.number().int().min(1).max(100_000);
const opensAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-24T10:00:00Z' });

export const createRoomRequest = z.strictObject({
  concertId: z.number().int().positive().max(2_147_483_647),
  opensAt: opensAt.optional(),
  maxActive,
  admitPerSecond,
});

export const updateRoomRequest = z
  .strictObject({ opensAt: opensAt.nullable().optional(), maxActive: maxActive.optional(), admitPerSecond: admitPerSecond.optional() })
  .refine((v) => v.opensAt !== undefined || v.maxActive !== undefined || v.admitPerSecond !== undefined, {
    message: 'give opensAt, maxActive and/or admitPerSecond',
  });

export const roomIdParams = z.strictObject({ id: integerText({ min: 1, max: 2_147_483_647 }) });

export type CreateRoomRequest = z.infer<typeof createRoomRequest>;
export type UpdateRoomRequest = z.infer<typeof updateRoomRequest>;
