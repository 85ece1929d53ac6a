import type { EventPayload } from '../../../contracts/events';
import { ReservationErrors } from '../reservation.errors';
import type { ConfirmationFailureReason, DomainEvent, ReservationEventData, ReservationStatus, StoredEvent } from './reservation.events';

export interface ReservationState {
  userId: number;
  concertId: number;
  scheduleId: number;
  seatId: number;
  seatLabel: string;
  price: number;
  status: ReservationStatus;
  expiresAtMs: number;
  paymentId: number | null;
  confirmedAtMs: number | null;
  cancelledAtMs: number | null;
  /** When its e-ticket first admitted the holder (null: not used). */
  ticketUsedAtMs: number | null;
  createdAtMs: number;
  /** Payments already turned down, so a repeated payment event is not refused twice. */
  failedPaymentIds: number[];
}

/** A successful payment as the reservation judges it; `paidAtMs`: when the payment module recorded it. */
export interface PaymentForConfirmation {
  paymentId: number;
  userId: number;
  amount: number;
  sagaId: string | null;
  paidAtMs: number;
}

export type ConfirmOutcome =
  | { kind: 'confirmed' }
  /** The same payment already confirmed it: a redelivery, nothing to do. */
  | { kind: 'duplicate' }
  /** The payment cannot confirm it and must be refunded; `expiredNow` if the hold was expired just now. */
  | { kind: 'failed'; reason: ConfirmationFailureReason; expiredNow: boolean }
  /** This payment was already turned down before: nothing new to do. */
  | { kind: 'already-failed' };

/**
 * The reservation aggregate. Its state is the fold of its events; a command checks the rules,
 * then raises events that are applied at once and kept as pending until the repository appends
 * them at the next versions (a concurrent append at the same version fails the save).
 */
export class Reservation {
  private current: ReservationState | null = null;
  private persistedVersion = 0;
  private readonly uncommitted: StoredEvent[] = [];

  private constructor(readonly id: number) {}

  static fromHistory(id: number, events: StoredEvent[]): Reservation {
    const r = new Reservation(id);
    for (const e of events) {
      r.apply(e);
      r.persistedVersion = e.version;
    }
    return r;
  }

  static place(id: number, data: Omit<ReservationEventData['HoldPlaced'], 'expiresAt'>, nowMs: number, ttlMs: number): Reservation {
    const r = new Reservation(id);
    r.raise({ type: 'HoldPlaced', data: { ...data, expiresAt: iso(nowMs + ttlMs) } }, nowMs);
    return r;
  }

  get state(): ReservationState {
    if (!this.current) throw new Error(`Reservation ${this.id} has no events`);
    return this.current;
  }

  /** Version of the last stored event (what an append must build on). */
  get expectedVersion(): number {
    return this.persistedVersion;
  }

  get version(): number {
    return this.persistedVersion + this.uncommitted.length;
  }

  get pendingEvents(): readonly StoredEvent[] {
    return this.uncommitted;
  }

  /** Called by the repository once the pending events are stored. */
  markCommitted(): void {
    this.persistedVersion = this.version;
    this.uncommitted.length = 0;
  }

  isLiveHold(nowMs: number): boolean {
    return this.state.status === 'HELD' && this.state.expiresAtMs > nowMs;
  }

  /** What a reader sees: a hold whose time is up is EXPIRED even before the sweeper records it. */
  effectiveStatus(nowMs: number): ReservationStatus {
    return effectiveStatus(this.state.status, this.state.expiresAtMs, nowMs);
  }

  /** Only a live hold can be paid for (the confirm saga starts only for one). */
  checkPayable(nowMs: number): void {
    if (this.isLiveHold(nowMs)) return;
    const status = this.effectiveStatus(nowMs);
    throw ReservationErrors.notPayable(`Reservation ${this.id} is ${status}.`, { reservationStatus: status });
  }

  /** Records the expiry of a hold whose time is up. */
  expire(nowMs: number): void {
    if (this.state.status !== 'HELD' || this.state.expiresAtMs > nowMs) {
      throw ReservationErrors.notExpirable(this.id, this.state.status, iso(this.state.expiresAtMs));
    }
    this.raise({ type: 'HoldExpired', data: { expiredAt: iso(this.state.expiresAtMs) } }, nowMs);
  }

  /** Cancels a live hold or a confirmed reservation; returns what it was. */
  cancel(nowMs: number): { previousStatus: 'HELD' | 'CONFIRMED'; paymentId: number | null } {
    if (this.isLiveHold(nowMs)) {
      this.raise({ type: 'HoldCancelled', data: { cancelledAt: iso(nowMs) } }, nowMs);
      return { previousStatus: 'HELD', paymentId: null };
    }
    if (this.state.status === 'CONFIRMED' && this.state.ticketUsedAtMs !== null) throw ReservationErrors.ticketUsed(this.id, iso(this.state.ticketUsedAtMs));
    if (this.state.status === 'CONFIRMED' && this.state.paymentId !== null) {
      const paymentId = this.state.paymentId;
      this.raise({ type: 'ReservationCancelled', data: { paymentId, cancelledAt: iso(nowMs) } }, nowMs);
      return { previousStatus: 'CONFIRMED', paymentId };
    }
    throw ReservationErrors.notCancellable(this.effectiveStatus(nowMs));
  }

  /**
   * The e-ticket admitted its holder: recorded once, for a confirmed reservation only (one
   * cancelled meanwhile keeps its cancellation: its ticket was revoked). Returns whether it was recorded.
   */
  recordTicketUse(admittedAtMs: number, nowMs: number): boolean {
    if (this.state.status !== 'CONFIRMED' || this.state.ticketUsedAtMs !== null) return false;
    this.raise({ type: 'TicketUsed', data: { admittedAt: iso(admittedAtMs) } }, nowMs);
    return true;
  }

  /**
   * Whether the sweeper may record this hold's expiry at `nowMs`: only once its grace is over too,
   * since until then a payment made before the expiry may still confirm it.
   */
  isDueForExpiry(nowMs: number, graceMs: number): boolean {
    return this.state.status === 'HELD' && this.state.expiresAtMs + graceMs <= nowMs;
  }

  /**
   * A payment for this reservation succeeded (recorded by the payment module at
   * `payment.paidAtMs`): confirm it, or record why it cannot be (→ refund). A payment made while
   * the hold was live still confirms it when handled after the expiry, within `graceMs` of it
   * (the seat stays the holder's that long); a later one, or one made after the expiry, expires it.
   */
  confirm(payment: PaymentForConfirmation, nowMs: number, graceMs: number): ConfirmOutcome {
    const s = this.state;
    if (s.status === 'CONFIRMED' && s.paymentId === payment.paymentId) return { kind: 'duplicate' };
    if (s.failedPaymentIds.includes(payment.paymentId)) return { kind: 'already-failed' };
    let reason: ConfirmationFailureReason | null = null;
    let expiredNow = false;
    if (payment.userId !== s.userId) reason = 'OWNER_MISMATCH';
    else if (payment.amount !== s.price) reason = 'AMOUNT_MISMATCH';
    else if (s.status === 'CONFIRMED') reason = 'ALREADY_CONFIRMED';
    else if (s.status === 'CANCELLED') reason = 'RESERVATION_CANCELLED';
    else if (s.status === 'EXPIRED') reason = 'HOLD_EXPIRED';
    else if (s.expiresAtMs <= nowMs && !(payment.paidAtMs < s.expiresAtMs && nowMs < s.expiresAtMs + graceMs)) {
      // The hold ran out before the payment, or its grace ran out before the confirmation: record the expiry first.
      this.expire(nowMs);
      expiredNow = true;
      reason = 'HOLD_EXPIRED';
    }
    if (reason) {
      this.raise({ type: 'ConfirmationFailed', data: { paymentId: payment.paymentId, reason, sagaId: payment.sagaId } }, nowMs);
      return { kind: 'failed', reason, expiredNow };
    }
    this.raise({ type: 'ReservationConfirmed', data: { paymentId: payment.paymentId, confirmedAt: iso(nowMs), sagaId: payment.sagaId } }, nowMs);
    return { kind: 'confirmed' };
  }

  private raise(event: DomainEvent, nowMs: number): void {
    const stored = { ...event, reservationId: this.id, version: this.version + 1, occurredAtMs: nowMs } as StoredEvent;
    this.apply(stored);
    this.uncommitted.push(stored);
  }

  private apply(event: StoredEvent): void {
    if (event.type === 'HoldPlaced') {
      const d = event.data;
      this.current = {
        userId: d.userId,
        concertId: d.concertId,
        scheduleId: d.scheduleId,
        seatId: d.seatId,
        seatLabel: d.seatLabel,
        price: d.price,
        status: 'HELD',
        expiresAtMs: Date.parse(d.expiresAt),
        paymentId: null,
        confirmedAtMs: null,
        cancelledAtMs: null,
        ticketUsedAtMs: null,
        createdAtMs: event.occurredAtMs,
        failedPaymentIds: [],
      };
      return;
    }
    const s = this.state;
    switch (event.type) {
      case 'HoldExpired':
        s.status = 'EXPIRED';
        return;
      case 'HoldCancelled':
        s.status = 'CANCELLED';
        s.cancelledAtMs = Date.parse(event.data.cancelledAt);
        return;
      case 'ReservationConfirmed':
        s.status = 'CONFIRMED';
        s.paymentId = event.data.paymentId;
        s.confirmedAtMs = Date.parse(event.data.confirmedAt);
        return;
      case 'ConfirmationFailed':
        s.failedPaymentIds = [...s.failedPaymentIds, event.data.paymentId];
        return;
      case 'ReservationCancelled':
        s.status = 'CANCELLED';
        s.cancelledAtMs = Date.parse(event.data.cancelledAt);
        return;
      case 'TicketUsed':
        s.ticketUsedAtMs = Date.parse(event.data.admittedAt);
        return;
    }
  }
}

/** `reservation.success`: what a confirmed reservation announces (seat map, queue, data platform, payment). */
export function confirmedAnnouncement(r: Reservation): EventPayload<'reservation.success'> {
  const s = r.state;
  if (s.status !== 'CONFIRMED' || s.paymentId === null || s.confirmedAtMs === null) throw new Error(`Reservation ${r.id} is not confirmed`);
  return {
    reservationId: r.id,
    userId: s.userId,
    concertId: s.concertId,
    scheduleId: s.scheduleId,
    seatId: s.seatId,
    seatLabel: s.seatLabel,
    price: s.price,
    paymentId: s.paymentId,
    confirmedAt: iso(s.confirmedAtMs),
  };
}

export function effectiveStatus(status: ReservationStatus, expiresAtMs: number, nowMs: number): ReservationStatus {
  return status === 'HELD' && expiresAtMs <= nowMs ? 'EXPIRED' : status;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
