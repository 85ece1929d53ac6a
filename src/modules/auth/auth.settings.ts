import { z } from 'zod';
import { ConfigError, envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

export interface AuthSettings {
  bcryptRounds: number;
  /** The admin account ensured at start-up, when both variables are set. */
  admin?: { email: string; password: string };
}

export const authSettings = moduleSettings(
  {
    BCRYPT_ROUNDS: envVar.int(4, 15).default(10),
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(8).max(72).optional(),
  },
  (v): AuthSettings => {
    if ((v.ADMIN_EMAIL === undefined) !== (v.ADMIN_PASSWORD === undefined)) {
      throw new ConfigError(v.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL', 'must be set together with its partner (ADMIN_EMAIL and ADMIN_PASSWORD)');
    }
    return { bcryptRounds: v.BCRYPT_ROUNDS, admin: v.ADMIN_EMAIL && v.ADMIN_PASSWORD ? { email: v.ADMIN_EMAIL, password: v.ADMIN_PASSWORD } : undefined };
  },
);
