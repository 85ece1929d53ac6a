import { z } from 'zod';

// Only shape checks here: a wrong e-mail or password must fail exactly like an unknown one.
export const loginRequest = z.strictObject({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(72),
});

export type LoginRequest = z.infer<typeof loginRequest>;
