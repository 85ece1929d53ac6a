import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../platform/bus/outbox';
import type { Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { type ConfirmOutcome, confirmedAnnouncement, type PaymentForConfirmation, type Reservation } from '../domain/reservation.aggregate';
import type { ReservationSettings } from '../reservation.settings';
import { ReservationRepository } from './reservation.repository';
import { SeatClaimRepository } from './seat-claims.repository';

/**
 * The state changes every use case shares (hold, sweeper, choreography, saga), each done inside
 * the caller's transaction: append the events, update the read model, move the seat claim and
 * publish the integration events.
 */
@injectable()
export class ReservationLifecycle {
  constructor(
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(SeatClaimRepository) private readonly claims: SeatClaimRepository,
    @inject(PLATFORM.Settings) private readonly settings: ReservationSettings,
  ) {}

  /** How long past its expiry a hold keeps its seat for a payment made before the expiry. */
  get paymentGraceMs(): number {
    return this.settings.holdPaymentGraceSeconds * 1000;
  }

  /** Records the expiry of holds whose time is up, releases their seats and announces it. */
  async expire(trx: Transaction, reservations: Reservation[], nowMs: number): Promise<void> {
    for (const r of reservations) {
      r.expire(nowMs);
      await this.repository.save(trx, r, nowMs);
    }
    await this.claims.release(
      trx,
      reservations.map((r) => r.id),
    );
    for (const r of reservations) await this.publishExpired(trx, r);
  }

  /**
   * Applies a successful payment: confirms the hold (seat claim becomes CONFIRMED) — also one
   * whose time is up, if the payment was made before its expiry and this is within the grace —
   * or records why it cannot (recording the expiry first if the hold ran out meanwhile). Publishes nothing
   * about the outcome itself: the caller decides (choreography and orchestration differ).
   */
  async applyPayment(trx: Transaction, r: Reservation, payment: PaymentForConfirmation, nowMs: number): Promise<ConfirmOutcome> {
    const outcome = r.confirm(payment, nowMs, this.paymentGraceMs);
    await this.repository.save(trx, r, nowMs);
    if (outcome.kind === 'confirmed') {
      const moved = await this.claims.confirm(trx, r.id);
      // A hold, live or in its grace, always has its claim; if it was lost the claim is retaken (the key still guards the seat).
      if (moved === 0) await this.claims.claim(trx, r.state.scheduleId, r.state.seatId, r.id, r.state.expiresAtMs);
    } else if (outcome.kind === 'failed' && outcome.expiredNow) {
      await this.claims.release(trx, [r.id]);
      await this.publishExpired(trx, r);
    }
    return outcome;
  }

  async publishSuccess(trx: Transaction, r: Reservation): Promise<void> {
    await this.outbox.publish(trx, 'reservation.success', r.id, confirmedAnnouncement(r));
  }

  async publishFailed(trx: Transaction, reservationId: number, userId: number, paymentId: number, reason: string): Promise<void> {
    await this.outbox.publish(trx, 'reservation.failed', reservationId, { reservationId, userId, paymentId, reason });
  }

  private async publishExpired(trx: Transaction, r: Reservation): Promise<void> {
    const s = r.state;
    await this.outbox.publish(trx, 'reservation.expired', r.id, { reservationId: r.id, userId: s.userId, scheduleId: s.scheduleId, seatId: s.seatId });
  }
}
