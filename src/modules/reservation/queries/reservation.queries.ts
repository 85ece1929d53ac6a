import { inject, injectable } from 'inversify';
import { z } from 'zod';
import type { Clock } from '../../../platform/clock/clock';
import { AppError } from '../../../platform/http/app-error';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { iso } from '../domain/reservation.aggregate';
import type { ReservationEventType } from '../domain/reservation.events';
import type { Changes } from '../../../platform/bus/changes';
import type { ReservationRepository } from '../infrastructure/reservation.repository';
import { RESERVATION } from '../reservation.di-tokens';
import { reservationEtag, viewFromRow, type ReservationView } from '../reservation.view';
import { integerText } from '../../../platform/http/input-schemas';

export const reservationIdParams = z.strictObject({ id: integerText() });

export const listReservationsQuery = z.strictObject({
  limit: integerText({ min: 1, max: 200 }).default(50),
  /** Cursor: only reservations with a smaller id (the `nextBefore` of the previous page). */
  before: integerText().optional(),
});

export const reservationNotFound = (id: number) => new AppError(404, 'RESERVATION_NOT_FOUND', 'Reservation not found', `You have no reservation ${id}.`);

/** The longest a `GET` may wait for a change (`Prefer: wait`). */
export const MAX_CHANGE_WAIT_MS = 30_000;

/** A conditional read: answer once the representation no longer matches `ifNoneMatch`, waiting up to `waitMs`. */
export interface ChangeCondition {
  ifNoneMatch: string;
  waitMs: number;
}

export type ReadResult = { view: ReservationView; etag: string } | { notModified: true; etag: string };

/** RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly. */
export function matchesIfNoneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

export interface HistoryItem {
  type: ReservationEventType;
  version: number;
  occurredAt: string;
  data: unknown;
}

/** Reads from the read model (and the event store for history). Only the owner sees a reservation. */
@injectable()
export class ReservationQueries {
  /** GETs held open by `Prefer: wait` right now (the `reservation_change_waits` gauge). */
  private waits = 0;

  constructor(
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(PLATFORM.Shutdown) private readonly shutdown: AbortSignal,
  ) {}

  get waiting(): number {
    return this.waits;
  }

  /**
   * The reservation as it is now; or, given a condition, as soon as it no longer matches the
   * client's entity tag (a long-poll: no need to poll for the outcome of a payment), or
   * `notModified` when `waitMs` of real time passes first.
   */
  async get(userId: number, id: number, condition?: ChangeCondition): Promise<ReadResult> {
    if (!condition) return this.read(userId, id);
    let last: { view: ReservationView; etag: string } | null = null;
    this.waits += 1;
    try {
      const changed = await this.changes.waitUntil(
        'reservation',
        id,
        async () => {
          last = await this.read(userId, id);
          return matchesIfNoneMatch(condition.ifNoneMatch, last.etag) ? null : last;
        },
        // A hold running out changes what the reader sees without any write: look again at least every second.
        { timeoutMs: condition.waitMs, pollMs: 1000, signal: this.shutdown },
      );
      return changed ?? { notModified: true, etag: last!.etag };
    } finally {
      this.waits -= 1;
    }
  }

  private async read(userId: number, id: number): Promise<{ view: ReservationView; etag: string }> {
    const row = await this.repository.findRow(id);
    if (!row || row.user_id !== userId) throw reservationNotFound(id);
    const view = viewFromRow(row, this.clock.now());
    return { view, etag: reservationEtag(row.version, view.status) };
  }

  async list(userId: number, limit: number, before?: number): Promise<{ items: ReservationView[]; nextBefore: number | null }> {
    const rows = await this.repository.listByUser(userId, limit + 1, before);
    const now = this.clock.now();
    const page = rows.slice(0, limit);
    return { items: page.map((r) => viewFromRow(r, now)), nextBefore: rows.length > limit ? page[page.length - 1].id : null };
  }

  async history(userId: number, id: number): Promise<{ items: HistoryItem[] }> {
    const row = await this.repository.findRow(id);
    if (!row || row.user_id !== userId) throw reservationNotFound(id);
    const events = await this.repository.history(id);
    return { items: events.map((e) => ({ type: e.type, version: e.version, occurredAt: iso(e.occurredAtMs), data: e.data })) };
  }
}
