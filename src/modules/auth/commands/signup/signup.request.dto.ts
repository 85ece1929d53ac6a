import { z } from 'zod';
import { emailSchema, passwordSchema } from '../../auth.schemas';

export const signupRequest = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1, 'must not be empty').max(100),
});

export type SignupRequest = z.infer<typeof signupRequest>;
