import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock/clock';

/** `STAFF` scans e-tickets at the door (granted by an admin). */
export type Role = 'USER' | 'ADMIN' | 'STAFF';

export const ROLES: readonly Role[] = ['USER', 'ADMIN', 'STAFF'];

export interface AuthUser {
  id: number;
  email: string;
  role: Role;
}

interface Settings {
  secret: string;
  issuer: string;
  audience: string;
  expiresInSeconds: number;
}

/**
 * Login tokens: HS256 JWTs with expiry, issuer and audience. Verification is local (no call into
 * the auth module), pinned to HS256 so `alg: none` and algorithm swaps are refused.
 */
export class AccessTokens {
  /**
   * A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a public
   * key on every call, which cost a third of the CPU of an authenticated request.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly settings: Settings,
    private readonly clock: Clock,
  ) {
    this.key = createSecretKey(Buffer.from(settings.secret));
  }

  get expiresInSeconds(): number {
    return this.settings.expiresInSeconds;
  }

  issue(user: AuthUser): string {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    return jwt.sign({ email: user.email, role: user.role, iat: nowSeconds, exp: nowSeconds + this.settings.expiresInSeconds }, this.key, {
      algorithm: 'HS256',
      subject: String(user.id),
      issuer: this.settings.issuer,
      audience: this.settings.audience,
    });
  }

  /** The user the token names, or null when it is missing, forged, expired or not ours. */
  verify(token: string): AuthUser | null {
    try {
      const claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      }) as jwt.JwtPayload;
      const id = Number(claims.sub);
      if (!Number.isSafeInteger(id) || id <= 0 || !ROLES.includes(claims.role) || typeof claims.email !== 'string') return null;
      return { id, email: claims.email, role: claims.role };
    } catch {
      return null;
    }
  }
}
