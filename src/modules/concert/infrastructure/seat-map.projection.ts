import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import {
  type ClaimState,
  type ClaimTransition,
  nextClaimState,
  RELEASED_CLAIM_RETENTION_MS,
  type SeatStatus,
  seatStatusAfterClaim,
  seatStatusFrom,
} from '../domain/seat-map';

const COUNTER: Record<SeatStatus, string> = { AVAILABLE: 'available_seats', HELD: 'held_seats', SOLD: 'sold_seats' };

interface SeatAndClaimRow {
  schedule_id: number;
  status: SeatStatus;
  claimed_by: number | null;
  claim_state: ClaimState | null;
  claim_seat_id: number | null;
}

export interface SeatEventFacts {
  reservationId: number;
  scheduleId: number;
  seatId: number;
}

/**
 * The seat map (`seats.status` and the per-schedule counters) as a projection of reservation
 * events. It runs inside the inbox's transaction for the event, so the claim, the seat and the
 * counters change together with the record that the event was handled. Every change of a claim
 * also writes its seat's row, the one row all the events of a seat share: on PostgreSQL two
 * overlapping events of one seat then conflict and the later runs again on a fresh snapshot, so
 * the seat always reflects every claim on it; the counters move by atomic increments of the
 * schedule row, only for a seat status this transaction read and changed.
 */
@injectable()
export class SeatMapProjection {
  // Two per reservation event: compiled once (see PreparedStatement).
  private readonly selectSeatAndClaim;
  private readonly insertClaim;
  private readonly updateClaim;
  private readonly updateSeat;
  /** One seat leaves the `from` counter of its schedule for the `to` counter. */
  private readonly moveCounter;

  constructor(
    @inject(PLATFORM.Database) db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {
    this.selectSeatAndClaim = db.prepare<{ reservationId: number; seatId: number }, SeatAndClaimRow>((k, p) =>
      k('seats as s')
        .leftJoin('seat_map_claims as c', function onThisReservation() {
          this.onVal('c.reservation_id', '=', p('reservationId'));
        })
        .where('s.id', p('seatId'))
        .first('s.schedule_id', 's.status', 's.claimed_by', 'c.state as claim_state', 'c.seat_id as claim_seat_id'),
    );
    this.insertClaim = db.prepare<{ reservationId: number; seatId: number; scheduleId: number; state: ClaimState; updatedAtMs: number }>((k, p) =>
      k('seat_map_claims').insert({
        reservation_id: p('reservationId'),
        seat_id: p('seatId'),
        schedule_id: p('scheduleId'),
        state: p('state'),
        updated_at_ms: p('updatedAtMs'),
      }),
    );
    this.updateClaim = db.prepare<{ reservationId: number; state: ClaimState; updatedAtMs: number }>((k, p) =>
      k('seat_map_claims')
        .where({ reservation_id: p('reservationId') })
        .update({ state: p('state'), updated_at_ms: p('updatedAtMs') }),
    );
    this.updateSeat = db.prepare<{ seatId: number; status: SeatStatus; claimedBy: number | null }>((k, p) =>
      k('seats')
        .where({ id: p('seatId') })
        .update({ status: p('status'), claimed_by: p('claimedBy') }),
    );
    this.moveCounter = db.prepareEach<`${SeatStatus}>${SeatStatus}`, { scheduleId: number }>((k, p, move) => {
      const [from, to] = move.split('>') as [SeatStatus, SeatStatus];
      return k('schedules')
        .where({ id: p('scheduleId') })
        .increment({ [COUNTER[from]]: -1, [COUNTER[to]]: 1 });
    });
  }

  /** Applies what one reservation event says about its seat (see domain/seat-map.ts for the rules). */
  async apply(trx: Transaction, transition: ClaimTransition, facts: SeatEventFacts): Promise<void> {
    const { reservationId, scheduleId, seatId } = facts;
    // The seat and this reservation's claim (if any) in one indexed read.
    const row = await this.selectSeatAndClaim.first(trx, { reservationId, seatId });
    if (!row || row.schedule_id !== scheduleId) {
      // Not a seat of ours (or not of that schedule): nothing on the map to change.
      this.logger.warn({ reservationId, scheduleId, seatId, transition }, 'seat map: event names a seat this catalogue does not have; ignored');
      return;
    }
    const claim = row.claim_state;
    if (claim !== null && row.claim_seat_id !== seatId) {
      this.logger.warn(
        { reservationId, seatId, claimedSeatId: row.claim_seat_id, transition },
        'seat map: event names another seat than the reservation holds; ignored',
      );
      return;
    }
    const next = nextClaimState(claim, transition);
    if (claim === next) return;
    const now = this.clock.now();
    // The writes wait for nothing (deferred): a claim inserted concurrently by another event of the
    // reservation fails the transaction, which then runs again and finds it.
    if (claim) this.updateClaim.defer(trx, { reservationId, state: next, updatedAtMs: now });
    else this.insertClaim.defer(trx, { reservationId, seatId, scheduleId, state: next, updatedAtMs: now });

    const seat = { status: row.status, claimedBy: row.claimed_by };
    const { status, claimedBy } = next === 'RELEASED' ? seatStatusFrom(await this.liveClaims(trx, seatId)) : seatStatusAfterClaim(seat, reservationId, next);
    // Written even when it stays as it was: the seat's status is derived from every claim on it, so
    // two events of different reservations of one seat must not both decide from snapshots that
    // lack the other's claim (on PostgreSQL the later writer of the seat row runs again).
    this.updateSeat.defer(trx, { seatId, status, claimedBy });
    if (status !== seat.status) this.moveCounter.for(`${seat.status}>${status}`).defer(trx, { scheduleId });
  }

  private async liveClaims(trx: Transaction, seatId: number): Promise<Array<{ reservationId: number; state: ClaimState }>> {
    const rows: Array<{ reservation_id: number; state: ClaimState }> = await trx('seat_map_claims')
      .where({ seat_id: seatId })
      .whereIn('state', ['HELD', 'SOLD'])
      .select('reservation_id', 'state');
    return rows.map((c) => ({ reservationId: c.reservation_id, state: c.state }));
  }

  /** Drops released claims old enough that no late event for them can still arrive. */
  async purgeReleasedClaims(trx: Transaction): Promise<number> {
    return trx('seat_map_claims')
      .where({ state: 'RELEASED' })
      .andWhere('updated_at_ms', '<', this.clock.now() - RELEASED_CLAIM_RETENTION_MS)
      .delete();
  }
}
