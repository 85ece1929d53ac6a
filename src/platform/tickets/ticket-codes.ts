import { createHmac, timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';

/** What an e-ticket names: the reservation, its schedule and seat, and the user who holds it. */
export interface TicketClaims {
  reservationId: number;
  scheduleId: number;
  seatId: number;
  holderId: number;
}

const PREFIX = 'TKT1';
/** Longest code ever accepted: a real one is about 110 characters. */
export const MAX_TICKET_CODE_LENGTH = 256;
const CODE_SHAPE = /^TKT1\.([A-Za-z0-9_-]{1,160})\.([A-Za-z0-9_-]{43})$/;

/**
 * E-ticket codes: `TKT1.<claims>.<HMAC-SHA256>`, signed with TICKET_SECRET (a key of its own).
 * A code is a pure function of what it names, so the module that shows a confirmed reservation
 * and the module that scans it at the door agree without asking each other: the door verifies it
 * offline, like a queue pass. What a code cannot say by itself (used already, revoked) is the
 * scanning module's state.
 */
export class TicketCodes {
  private readonly key: Buffer;

  constructor(settings: { secret: string }) {
    this.key = Buffer.from(settings.secret, 'utf8');
  }

  issue(claims: TicketClaims): string {
    const body = Buffer.from(JSON.stringify({ r: claims.reservationId, s: claims.scheduleId, t: claims.seatId, u: claims.holderId })).toString('base64url');
    return `${PREFIX}.${body}.${this.sign(body)}`;
  }

  /** The claims of a code this platform signed, or null for anything else (forged, altered, malformed). */
  verify(code: string): TicketClaims | null {
    if (code.length > MAX_TICKET_CODE_LENGTH) return null;
    const match = CODE_SHAPE.exec(code);
    if (!match) return null;
    const [, body, signature] = match;
    const expected = Buffer.from(this.sign(body), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const { r, s, t, u } = (raw ?? {}) as Record<string, unknown>;
    const ids = [r, s, t, u];
    if (!ids.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) return null;
    return { reservationId: r as number, scheduleId: s as number, seatId: t as number, holderId: u as number };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}.${body}`).digest('base64url');
  }
}

/** The code as a QR image, an SVG document (for the API) ... */
export function ticketQrSvg(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** ... or a PNG (for e-mail, where SVG images are not shown by most clients). */
export function ticketQrPng(code: string): Promise<Buffer> {
  return QRCode.toBuffer(code, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 });
}
