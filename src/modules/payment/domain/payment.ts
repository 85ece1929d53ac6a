export type PaymentStatus = 'PAID' | 'REFUNDED';

/** The payment of one reservation: PAID → REFUNDED, at most once. */
export interface Payment {
  id: number;
  reservationId: number;
  userId: number;
  amount: number;
  status: PaymentStatus;
  /** Set when the orchestrated saga paid it. */
  sagaId: string | null;
  refundReason: string | null;
  createdAtMs: number;
}

export type PayRefusal =
  | { ok: false; reason: 'RESERVATION_NOT_PAYABLE'; detail: string }
  | { ok: false; reason: 'INSUFFICIENT_BALANCE'; detail: string; balance: number; amount: number };

export type PayOutcome = { ok: true; paymentId: number; reservationId: number; amount: number; balance: number } | PayRefusal;

export const notPayable = (detail: string): PayRefusal => ({ ok: false, reason: 'RESERVATION_NOT_PAYABLE', detail });
export const alreadyPaid = (reservationId: number): PayRefusal => notPayable(`Reservation ${reservationId} is already paid.`);

/** Paying is refused if the reservation is already paid or the balance is short; null: it may be paid. */
export function payRefusal(reservationId: number, paid: boolean, balance: number, amount: number): PayRefusal | null {
  if (paid) return alreadyPaid(reservationId);
  if (balance < amount)
    return { ok: false, reason: 'INSUFFICIENT_BALANCE', detail: `The payment needs ${amount} points; the balance is ${balance}.`, balance, amount };
  return null;
}
