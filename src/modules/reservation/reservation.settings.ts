import { envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

export interface ReservationSettings {
  /** How long a hold keeps its seat. */
  holdTtlSeconds: number;
  /** Live holds one user may have at once. */
  maxHoldsPerUser: number;
  /**
   * How long past its expiry a hold keeps its seat for a payment made before the expiry: such a
   * payment, handled within this grace, still confirms it; nobody else can take the seat meanwhile.
   */
  holdPaymentGraceSeconds: number;
}

export const reservationSettings = moduleSettings(
  {
    HOLD_TTL_SECONDS: envVar.int(10, 24 * 3600).default(300),
    MAX_HOLDS_PER_USER: envVar.int(1, 100).default(4),
    HOLD_PAYMENT_GRACE_SECONDS: envVar.int(0, 3600).default(60),
  },
  (v): ReservationSettings => ({
    holdTtlSeconds: v.HOLD_TTL_SECONDS,
    maxHoldsPerUser: v.MAX_HOLDS_PER_USER,
    holdPaymentGraceSeconds: v.HOLD_PAYMENT_GRACE_SECONDS,
  }),
);
