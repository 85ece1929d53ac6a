import { z } from 'zod';
import { plainText } from '../../../../platform/http/input-schemas';
import { emailSchema, passwordSchema } from '../../auth.schemas';
import { DEFAULT_LOCALE, LOCALES } from '../../domain/user';

export const signupRequest = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: plainText(100),
  /** The language of the user's notifications. */
  locale: z.enum(LOCALES).default(DEFAULT_LOCALE),
});

export type SignupRequest = z.input<typeof signupRequest>;
