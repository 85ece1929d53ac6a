import { z } from 'zod';
import { plainText } from '../../../../platform/http/input-schemas';
import { emailSchema, passwordSchema } from '../../auth.schemas';

export const signupRequest = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: plainText(100),
});

export type SignupRequest = z.infer<typeof signupRequest>;
