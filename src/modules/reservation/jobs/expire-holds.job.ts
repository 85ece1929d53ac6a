import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import { every } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { withConcurrencyRetry } from '../infrastructure/optimistic-concurrency';
import { ReservationRepository } from '../infrastructure/reservation.repository';
import { ReservationLifecycle } from '../infrastructure/reservation-lifecycle';

export const EXPIRE_BATCH = 200;

/**
 * The sweeper: records the expiry of holds whose time and payment grace are up (found through
 * the (status, expires_at_ms) index, never by scanning seats), in batches of one transaction
 * each, and publishes `reservation.expired` so the seat map frees the seats. A hold in its grace
 * (`HOLD_PAYMENT_GRACE_SECONDS` past its expiry) is left alone: a payment made before the expiry
 * may still confirm it.
 */
@injectable()
export class ExpireHoldsJob {
  static readonly schedule = every(1000, 'expire-holds');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(ReservationRepository) private readonly repository: ReservationRepository,
    @inject(ReservationLifecycle) private readonly lifecycle: ReservationLifecycle,
  ) {}

  /** Returns how many holds it expired. */
  async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.expireBatch();
      total += n;
      if (n < EXPIRE_BATCH) return total;
    }
  }

  private expireBatch(): Promise<number> {
    return withConcurrencyRetry(() =>
      this.db.transaction(async (trx) => {
        const now = this.clock.now();
        const graceMs = this.lifecycle.paymentGraceMs;
        const ids = await this.repository.dueForExpiry(trx, now - graceMs, EXPIRE_BATCH);
        const due = (await this.repository.loadMany(trx, ids)).filter((r) => r.isDueForExpiry(now, graceMs));
        await this.lifecycle.expire(trx, due, now);
        return due.length;
      }),
    );
  }
}
