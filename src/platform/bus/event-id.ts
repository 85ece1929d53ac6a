import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Event ids made this way
 * sort by time, so the unique indexes on them (outbox, every inbox) grow at one end instead of
 * touching a random page per insert. The random part is taken from `randomUUID`, which draws
 * from a cached entropy pool: the `uuid` package's v7 cost about 5 µs per id here, this about 0.3.
 * Ids made in the same millisecond are not ordered among themselves; nothing relies on that.
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  // A v4 UUID: its version digit is at index 14; everything after it (including the RFC variant
  // bits) is kept, the 48-bit time replaces the first 12 hex digits.
  const random = randomUUID();
  const time = nowMs.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
