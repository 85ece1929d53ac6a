import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { type EventEnvelope, integrationEvents } from '../../contracts/events';
import type { EventConsumer } from '../bus/transport';
import type { Clock } from '../clock/clock';

export interface QueuePassClaims {
  userId: number;
  /** The queue token the pass was issued for. */
  queueToken: string;
  passId: string;
  expiresAtMs: number;
  /** The concert whose waiting room issued it; null for the default room (concerts without a room of their own). */
  concertId: number | null;
}

export type RevocationReason = 'LEFT' | 'COMPLETED';

export type QueuePassCheck = { ok: true; claims: QueuePassClaims } | { ok: false; revoked?: RevocationReason };

/** What a protected route lets in: `shop` (browse, hold) only a live visit; `checkout` (pay) also a visit that ended in a purchase. */
export type PassUse = 'shop' | 'checkout';

const PURGE_EVERY_MS = 60_000;

/**
 * The waiting room's pass: a signed, expiring token bound to one user, with its own key and
 * audience (a login token is never a pass and vice versa). Protected routes check it without
 * asking the queue module, as Queue-it and AWS's waiting room do.
 *
 * A pass can be revoked before it expires (its holder left, or bought): the queue module
 * announces it with `queue.pass.revoked`, and every process that checks passes keeps the notice
 * in memory until the pass would have expired anyway. A check is still a signature check plus
 * a map lookup, no database.
 */
export class QueuePasses {
  /** A KeyObject once, rather than a string jsonwebtoken would re-parse on every call. */
  private readonly key: KeyObject;
  private readonly revoked = new Map<string, { reason: RevocationReason; untilMs: number }>();
  /** Concert → its waiting room, for the concerts that have one (from `queue.room.changed`). */
  private readonly rooms = new Map<number, number>();
  private nextPurgeMs = 0;

  constructor(
    private readonly settings: { secret: string; issuer: string; audience: string },
    private readonly clock: Clock,
  ) {
    this.key = createSecretKey(Buffer.from(settings.secret));
  }

  /** A pass's public id, derived from its queue token (which it must not reveal to the bus). */
  static passIdOf(queueToken: string): string {
    return createHash('sha256').update(queueToken).digest('base64url').slice(0, 22);
  }

  /** `concertId`: the room's concert, carried in the signed pass (claim `cid`), so the pass opens that concert only. */
  issue(userId: number, queueToken: string, expiresAtMs: number, concertId: number | null = null): string {
    return jwt.sign(
      { qt: queueToken, ...(concertId === null ? {} : { cid: concertId }), iat: Math.floor(this.clock.now() / 1000), exp: Math.floor(expiresAtMs / 1000) },
      this.key,
      {
        algorithm: 'HS256',
        subject: String(userId),
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        jwtid: QueuePasses.passIdOf(queueToken),
      },
    );
  }

  verify(pass: string, userId: number, use: PassUse = 'shop'): QueuePassCheck {
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(pass, this.key, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        subject: String(userId),
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      }) as jwt.JwtPayload;
    } catch {
      return { ok: false };
    }
    const queueToken = String(claims.qt);
    const passId = typeof claims.jti === 'string' ? claims.jti : QueuePasses.passIdOf(queueToken);
    const revocation = this.revoked.get(passId);
    if (revocation && (revocation.reason === 'LEFT' || use === 'shop')) return { ok: false, revoked: revocation.reason };
    const concertId = typeof claims.cid === 'number' && Number.isSafeInteger(claims.cid) ? claims.cid : null;
    return { ok: true, claims: { userId, queueToken, passId, expiresAtMs: Number(claims.exp) * 1000, concertId } };
  }

  /** Keeps the notice until the pass would have expired: after that its signature check refuses it anyway. */
  revoke(passId: string, reason: RevocationReason, expiresAtMs: number): void {
    const now = this.clock.now();
    if (expiresAtMs > now) {
      const known = this.revoked.get(passId);
      // LEFT is final; a COMPLETED notice arriving after it does not soften it.
      if (!(known?.reason === 'LEFT' && reason === 'COMPLETED')) this.revoked.set(passId, { reason, untilMs: expiresAtMs });
    }
    if (now >= this.nextPurgeMs) {
      this.nextPurgeMs = now + PURGE_EVERY_MS;
      for (const [id, r] of this.revoked) if (r.untilMs <= now) this.revoked.delete(id);
    }
  }

  /**
   * Whether a verified pass opens a request about `concertId` (null: the route could not tell,
   * and its handler answers as for an unknown id). A room's pass opens its concert only; the
   * default room's pass opens every concert that has no room of its own. No database: the pass
   * carries its concert, and the concerts with a room are kept from the bus.
   */
  opensConcert(claims: QueuePassClaims, concertId: number | null): boolean {
    if (concertId === null) return true;
    if (claims.concertId !== null) return claims.concertId === concertId;
    return !this.rooms.has(concertId);
  }

  /** A room created (`inForce`) or closed. */
  noteRoom(roomId: number, concertId: number, inForce: boolean): void {
    if (inForce) this.rooms.set(concertId, roomId);
    else if (this.rooms.get(concertId) === roomId) this.rooms.delete(concertId);
  }

  get revokedCount(): number {
    return this.revoked.size;
  }

  /** The bus side: takes `queue.pass.revoked` from every process's relay, whatever the transport. */
  revocationListener(): EventConsumer {
    const types: ReadonlySet<string> = new Set(['queue.pass.revoked', 'queue.room.changed']);
    return {
      moduleName: 'platform.queue-passes',
      records: false,
      eventTypes: () => types,
      receive: async (events: EventEnvelope[]) => {
        for (const event of events) {
          if (event.type === 'queue.room.changed') {
            const room = integrationEvents['queue.room.changed'].payload.safeParse(event.payload);
            if (room.success) this.noteRoom(room.data.roomId, room.data.concertId, room.data.inForce);
            continue;
          }
          if (event.type !== 'queue.pass.revoked') continue;
          // From another process, so checked against its contract like any subscriber's payload.
          const parsed = integrationEvents['queue.pass.revoked'].payload.safeParse(event.payload);
          if (parsed.success) this.revoke(parsed.data.passId, parsed.data.reason, Date.parse(parsed.data.expiresAt));
        }
      },
    };
  }
}
