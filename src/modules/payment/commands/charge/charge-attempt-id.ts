import { createHash } from 'node:crypto';

/**
 * The gateway attempt id of a keyed charge, derived from (user, key) alone: every repeat of the
 * request, even after a crash that lost everything but the database, asks the gateway about the
 * same attempt, which the gateway deduplicates on. Formatted as a UUID (version 8: custom).
 */
export function keyedChargeAttemptId(userId: number, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`charge-attempt\u0000${userId}\u0000${idempotencyKey}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
