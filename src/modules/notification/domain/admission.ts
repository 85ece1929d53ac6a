/** What the door knows of a ticket's reservation (from the events), when it knows it at all. */
export interface TicketState {
  /** When the reservation was cancelled after confirmation, or refunded: its ticket no longer admits. */
  revokedAtMs: number | null;
}

export type AdmissionDecision =
  | { admit: true }
  | { admit: false; reason: 'REVOKED'; revokedAtMs: number }
  | { admit: false; reason: 'ALREADY_USED'; firstUsedAtMs: number };

/**
 * The door's rule for a ticket whose signature is good: a revoked ticket never admits; otherwise it
 * admits once, the first scan. A ticket whose confirmation the door has not heard of yet admits on
 * its signature alone (that is what verifying offline means); a cancellation heard later cannot
 * undo an admission.
 */
export function decideAdmission(state: TicketState | null, firstUsedAtMs: number | null): AdmissionDecision {
  if (state?.revokedAtMs != null) return { admit: false, reason: 'REVOKED', revokedAtMs: state.revokedAtMs };
  if (firstUsedAtMs !== null) return { admit: false, reason: 'ALREADY_USED', firstUsedAtMs };
  return { admit: true };
}
