import { inject, injectable } from 'inversify';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { SeatStatus } from '../concert.schemas';

/** What a reservation event says about its seat. */
export type ClaimTransition = 'held' | 'sold' | 'expired' | 'cancelled';
/** What the seat map knows about one reservation's claim on its seat. */
export type ClaimState = 'HELD' | 'SOLD' | 'RELEASED';

/**
 * A reservation's claim only moves forward, whatever order its events arrive in (each event
 * type has its own subscriber, so even one reservation's events can be handled out of order
 * after a retry): HELD → SOLD → RELEASED, or HELD → RELEASED. An expiry never un-sells a seat;
 * only the cancellation of the sold reservation releases it. A late `held` after the
 * reservation's end finds the RELEASED claim and changes nothing.
 */
export function nextClaimState(current: ClaimState | null, transition: ClaimTransition): ClaimState {
  switch (transition) {
    case 'held':
      return current ?? 'HELD';
    case 'sold':
      return current === null || current === 'HELD' ? 'SOLD' : current;
    case 'expired':
      return current === 'SOLD' ? 'SOLD' : 'RELEASED';
    case 'cancelled':
      return 'RELEASED';
  }
}

/**
 * A seat's status from the live claims on it: SOLD if any reservation bought it, else HELD if
 * any holds it, else AVAILABLE. Two live claims on one seat only exist while a freeing event of
 * an older reservation is still on its way (the reservation module allows one live hold per
 * seat); the newest reservation is shown as the holder.
 */
export function seatStatusFrom(claims: Array<{ reservationId: number; state: ClaimState }>): { status: SeatStatus; claimedBy: number | null } {
  const pick = (state: ClaimState) => claims.filter((c) => c.state === state).reduce<number | null>((max, c) => (max === null || c.reservationId > max ? c.reservationId : max), null);
  const sold = pick('SOLD');
  if (sold !== null) return { status: 'SOLD', claimedBy: sold };
  const held = pick('HELD');
  if (held !== null) return { status: 'HELD', claimedBy: held };
  return { status: 'AVAILABLE', claimedBy: null };
}

/**
 * The seat's status after one reservation's claim becomes HELD or SOLD, from the seat's status
 * alone: a claim that takes or upgrades can only add to what `seatStatusFrom` already chose (SOLD
 * over HELD, the newest reservation among equals), so the other claims need not be read. Only a
 * release can uncover another claim.
 */
export function seatStatusAfterClaim(seat: { status: SeatStatus; claimedBy: number | null }, reservationId: number, next: 'HELD' | 'SOLD'): { status: SeatStatus; claimedBy: number | null } {
  const newest = (other: number | null) => (other === null || reservationId > other ? reservationId : other);
  if (next === 'SOLD') return seat.status === 'SOLD' ? { status: 'SOLD', claimedBy: newest(seat.claimedBy) } : { status: 'SOLD', claimedBy: reservationId };
  if (seat.status === 'SOLD') return seat;
  return seat.status === 'HELD' ? { status: 'HELD', claimedBy: newest(seat.claimedBy) } : { status: 'HELD', claimedBy: reservationId };
}

const COUNTER: Record<SeatStatus, string> = { AVAILABLE: 'available_seats', HELD: 'held_seats', SOLD: 'sold_seats' };

/** Released claims are kept this long to absorb late or redelivered events, then purged. */
export const RELEASED_CLAIM_RETENTION_MS = 30 * 24 * 3600 * 1000;

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
 * counters change together with the record that the event was handled.
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
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
  ) {
    this.selectSeatAndClaim = db.prepare<[number, number], SeatAndClaimRow>((k, p) =>
      k('seats as s')
        .leftJoin('seat_map_claims as c', function onThisReservation() {
          this.onVal('c.reservation_id', '=', p(0));
        })
        .where('s.id', p(1))
        .first('s.schedule_id', 's.status', 's.claimed_by', 'c.state as claim_state', 'c.seat_id as claim_seat_id'),
    );
    this.insertClaim = db.prepare<[number, number, number, ClaimState, number]>((k, p) =>
      k('seat_map_claims').insert({ reservation_id: p(0), seat_id: p(1), schedule_id: p(2), state: p(3), updated_at_ms: p(4) }),
    );
    this.updateClaim = db.prepare<[ClaimState, number, number]>((k, p) => k('seat_map_claims').where({ reservation_id: p(2) }).update({ state: p(0), updated_at_ms: p(1) }));
    this.updateSeat = db.prepare<[SeatStatus, number | null, number]>((k, p) => k('seats').where({ id: p(2) }).update({ status: p(0), claimed_by: p(1) }));
    this.moveCounter = db.prepareEach<`${SeatStatus}>${SeatStatus}`, [number]>((k, p, move) => {
      const [from, to] = move.split('>') as [SeatStatus, SeatStatus];
      return k('schedules').where({ id: p(0) }).increment({ [COUNTER[from]]: -1, [COUNTER[to]]: 1 });
    });
  }

  /** An event handler applying `transition` to the seat named in the event. */
  handler(transition: ClaimTransition): EventHandler<'reservation.held' | 'reservation.expired' | 'reservation.cancelled' | 'reservation.success'> {
    return { handle: (event, trx) => this.apply(trx, transition, event.payload) };
  }

  async apply(trx: Transaction, transition: ClaimTransition, facts: SeatEventFacts): Promise<void> {
    const { reservationId, scheduleId, seatId } = facts;
    // The seat and this reservation's claim (if any) in one indexed read.
    const row = await this.selectSeatAndClaim.first(trx, reservationId, seatId);
    if (!row || row.schedule_id !== scheduleId) {
      // Not a seat of ours (or not of that schedule): nothing on the map to change.
      this.logger.warn({ reservationId, scheduleId, seatId, transition }, 'seat map: event names a seat this catalogue does not have; ignored');
      return;
    }
    const claim = row.claim_state;
    if (claim !== null && row.claim_seat_id !== seatId) {
      this.logger.warn({ reservationId, seatId, claimedSeatId: row.claim_seat_id, transition }, 'seat map: event names another seat than the reservation holds; ignored');
      return;
    }
    const next = nextClaimState(claim, transition);
    if (claim === next) return;
    const now = this.clock.now();
    if (claim) await this.updateClaim.run(trx, next, now, reservationId);
    else await this.insertClaim.run(trx, reservationId, seatId, scheduleId, next, now);

    const seat = { status: row.status, claimedBy: row.claimed_by };
    const { status, claimedBy } = next === 'RELEASED' ? seatStatusFrom(await this.liveClaims(trx, seatId)) : seatStatusAfterClaim(seat, reservationId, next);
    if (status === seat.status && claimedBy === seat.claimedBy) return;
    await this.updateSeat.run(trx, status, claimedBy, seatId);
    if (status !== seat.status) await this.moveCounter.for(`${seat.status}>${status}`).run(trx, scheduleId);
  }


  private async liveClaims(trx: Transaction, seatId: number): Promise<Array<{ reservationId: number; state: ClaimState }>> {
    const rows: Array<{ reservation_id: number; state: ClaimState }> = await trx('seat_map_claims').where({ seat_id: seatId }).whereIn('state', ['HELD', 'SOLD']).select('reservation_id', 'state');
    return rows.map((c) => ({ reservationId: c.reservation_id, state: c.state }));
  }

  /** Drops released claims old enough that no late event for them can still arrive. */
  async purgeReleasedClaims(): Promise<number> {
    return this.db.knex('seat_map_claims').where({ state: 'RELEASED' }).andWhere('updated_at_ms', '<', this.clock.now() - RELEASED_CLAIM_RETENTION_MS).delete();
  }
}
