import { createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';
import { inject, injectable } from 'inversify';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { AuthSettings } from '../auth.settings';

/** bcrypt reads at most this many bytes of what it is given and ignores the rest. */
export const BCRYPT_INPUT_BYTES = 72;

/** Stored hashes of the current scheme start with this; older ones are bare bcrypt hashes (`$2b$…`). */
const V2 = 'v2$';

/**
 * v2 scheme: bcrypt over base64(HMAC-SHA-384(label, password)). The 64-character digest carries
 * every byte of the password into bcrypt, whatever its length or script (30 Hangul syllables
 * are 90 bytes, past bcrypt's 72). The HMAC label keeps the digest unlike any
 * plain SHA-384 of the password found elsewhere.
 */
function prehash(password: string): string {
  return createHmac('sha384', 'ticketing/auth/password/v2').update(password, 'utf8').digest('base64');
}

export interface PasswordCheck {
  ok: boolean;
  /** A v2 hash of this password to store in place of an older one, when that is safe. */
  rehash?: string;
}

@injectable()
export class PasswordHasher {
  /** Compared against when the e-mail is unknown, so both failures cost the same time. */
  private readonly decoy: Promise<string>;

  constructor(@inject(PLATFORM.Settings) private readonly settings: AuthSettings) {
    this.decoy = this.hash('decoy-password-for-timing');
  }

  async hash(password: string): Promise<string> {
    return V2 + (await bcrypt.hash(prehash(password), this.settings.bcryptRounds));
  }

  async verify(password: string, stored: string | null): Promise<boolean> {
    return (await this.check(password, stored)).ok;
  }

  async check(password: string, stored: string | null): Promise<PasswordCheck> {
    if (stored === null) {
      await bcrypt.compare(prehash(password), (await this.decoy).slice(V2.length));
      return { ok: false };
    }
    if (stored.startsWith(V2)) return { ok: await bcrypt.compare(prehash(password), stored.slice(V2.length)) };
    // A hash from before v2: bcrypt of the password itself, so only its first 72 bytes count.
    // When the password fits in them the match is exact and the hash can move to v2; when it is
    // longer, the bytes past 72 were never recorded and cannot be checked, so the account stays
    // as it was (its owner keeps logging in) rather than be rewritten from an unverified password.
    const ok = await bcrypt.compare(password, stored);
    const exact = Buffer.byteLength(password, 'utf8') <= BCRYPT_INPUT_BYTES;
    return ok && exact ? { ok, rehash: await this.hash(password) } : { ok };
  }
}
