import { TransactionConflictError } from '../../../platform/db/module-database';
import { ReservationErrors } from '../reservation.errors';

/** An append met a version that already exists: someone else changed the reservation meanwhile. */
export class ConcurrencyError extends Error {
  constructor(
    readonly reservationId: number,
    readonly expectedVersion: number,
  ) {
    super(`Reservation ${reservationId} changed after version ${expectedVersion}`);
    this.name = 'ConcurrencyError';
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return (
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === '23505' || /UNIQUE constraint failed/.test(e.message ?? '')
  );
}

/** Another connection wrote after this transaction read (SQLite WAL snapshot, PostgreSQL serialization). */
export function isWriteConflict(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code === '40001';
}

export const CONCURRENCY_ATTEMPTS = 4;

/**
 * Runs a whole load–decide–append transaction again when the append meets a concurrent one:
 * the retry reloads the stream, so the decision is taken on the latest state. When the attempts
 * run out, the conflict is reported as CONCURRENT_MODIFICATION (never silently dropped).
 */
export async function withConcurrencyRetry<T>(work: () => Promise<T>, attempts = CONCURRENCY_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (err) {
      const conflict = err instanceof ConcurrencyError || isWriteConflict(err);
      if (!conflict) throw err;
      if (attempt >= attempts) {
        throw ReservationErrors.concurrentModification();
      }
    }
  }
}

/**
 * For a handler, which runs in the inbox's transaction and so cannot retry it itself: an append
 * that meets a concurrent one makes the kernel run the whole delivery again on a fresh snapshot
 * (as for a serialization failure), rather than failing it into the inbox's retry with backoff.
 * On PostgreSQL (REPEATABLE READ) two appends at one version are a unique violation, which
 * appendEvents reports as ConcurrencyError; SERIALIZABLE used to report them as 40001.
 */
export async function rerunOnConcurrentAppend<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ConcurrencyError) throw new TransactionConflictError(`reservation ${err.reservationId}`);
    throw err;
  }
}
