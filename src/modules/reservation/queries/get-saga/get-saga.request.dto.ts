import { z } from 'zod';

export const getSagaParams = z.strictObject({ id: z.uuid('must be a saga id (UUID)') });
