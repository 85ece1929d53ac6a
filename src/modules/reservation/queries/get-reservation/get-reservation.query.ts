import { inject, injectable } from 'inversify';
import type { Changes } from '../../../../platform/bus/changes';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type TicketCodes, ticketQrSvg } from '../../../../platform/tickets/ticket-codes';
import { type ReservationView, reservationEtag } from '../../domain/reservation.view';
import { ChangeWaits } from '../../infrastructure/reservation.metrics';
import { ReservationRepository, viewFromRow } from '../../infrastructure/reservation.repository';
import { ReservationErrors } from '../../reservation.errors';

/** The longest a `GET` may wait for a change (`Prefer: wait`). */
export const MAX_CHANGE_WAIT_MS = 30_000;

/** A conditional read: answer once the representation no longer matches `ifNoneMatch`, waiting up to `waitMs`. */
export interface ChangeCondition {
  ifNoneMatch: string;
  waitMs: number;
}

/** What the owner reads: a confirmed reservation carries its e-ticket. */
export type ReservationWithTicket = ReservationView & { ticket?: { code: string; qrSvg: string } };

export type ReadResult = { view: ReservationWithTicket; etag: string } | { notModified: true; etag: string };

/** RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly. */
export function matchesIfNoneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** One reservation from the read model, for its owner only; optionally as a long-poll for its next change. */
@injectable()
export class GetReservationQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Changes) private readonly changes: Changes,
    @inject(PLATFORM.Shutdown) private readonly shutdown: AbortSignal,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(ChangeWaits) private readonly waits: ChangeWaits,
    @inject(PLATFORM.TicketCodes) private readonly tickets: TicketCodes,
  ) {}

  /** GETs held open by `Prefer: wait` right now (the `reservation_change_waits` gauge). */
  get waiting(): number {
    return this.waits.count;
  }

  /**
   * The reservation as it is now; or, given a condition, as soon as it no longer matches the
   * client's entity tag (a long-poll: no need to poll for the outcome of a payment), or
   * `notModified` when `waitMs` of real time passes first.
   */
  async get(userId: number, id: number, condition?: ChangeCondition): Promise<ReadResult> {
    if (!condition) return this.read(userId, id);
    let last: { view: ReservationWithTicket; etag: string } | null = null;
    this.waits.count += 1;
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
      this.waits.count -= 1;
    }
  }

  private async read(userId: number, id: number): Promise<{ view: ReservationWithTicket; etag: string }> {
    const row = await this.repository.findRow(this.db.direct, id);
    if (!row || row.user_id !== userId) throw ReservationErrors.reservationNotFound(id);
    const view = viewFromRow(row, this.clock.now());
    const etag = reservationEtag(row.version, view.status);
    if (view.status !== 'CONFIRMED') return { view, etag };
    // The code is a function of what it names, so it needs no storage (and the ETag, of the status, covers it).
    const code = this.tickets.issue({ reservationId: view.id, scheduleId: view.scheduleId, seatId: view.seatId, holderId: view.userId });
    return { view: { ...view, ticket: { code, qrSvg: await ticketQrSvg(code) } }, etag };
  }
}
