import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock/clock';

export interface QueuePassClaims {
  userId: number;
  /** The queue token the pass was issued for. */
  queueToken: string;
  expiresAtMs: number;
}

export type QueuePassCheck = { ok: true; claims: QueuePassClaims } | { ok: false };

/**
 * The waiting room's pass: a signed, expiring token bound to one user, with its own key and
 * audience (a login token is never a pass and vice versa). Protected routes check it without
 * asking the queue module, as Queue-it and AWS's waiting room do.
 */
export class QueuePasses {
  /** A KeyObject once, rather than a string jsonwebtoken would re-parse on every call. */
  private readonly key: KeyObject;

  constructor(
    private readonly settings: { secret: string; issuer: string; audience: string },
    private readonly clock: Clock,
  ) {
    this.key = createSecretKey(Buffer.from(settings.secret));
  }

  issue(userId: number, queueToken: string, expiresAtMs: number): string {
    return jwt.sign({ qt: queueToken, iat: Math.floor(this.clock.now() / 1000), exp: Math.floor(expiresAtMs / 1000) }, this.key, {
      algorithm: 'HS256',
      subject: String(userId),
      issuer: this.settings.issuer,
      audience: this.settings.audience,
    });
  }

  verify(pass: string, userId: number): QueuePassCheck {
    try {
      const claims = jwt.verify(pass, this.key, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        subject: String(userId),
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      }) as jwt.JwtPayload;
      return { ok: true, claims: { userId, queueToken: String(claims.qt), expiresAtMs: Number(claims.exp) * 1000 } };
    } catch {
      return { ok: false };
    }
  }
}
