import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { ConfirmSagaRepository } from './confirm-saga.repository';
import { ReservationRepository } from './reservation.repository';

/** Requests held open by `Prefer: wait` right now: counted by the reader that waits, shown as a gauge. */
@injectable()
export class ChangeWaits {
  count = 0;
}

const SAGA_STATUSES = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED', 'COMPENSATED'];

/**
 * `reservations_live_holds`: holds that are HELD and not yet expired; `confirm_sagas` by status:
 * the orchestrated saga's outcomes. Both read at scrape time from the tables, so a rolled-back
 * transaction can never have moved them. `reservation_change_waits`: requests held open by
 * `Prefer: wait` (each holds a connection).
 */
@injectable()
export class ReservationMetrics implements ModuleMetrics {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(ReservationRepository) private readonly reservations: ReservationRepository,
    @inject(ConfirmSagaRepository) private readonly sagas: ConfirmSagaRepository,
    @inject(ChangeWaits) private readonly waits: ChangeWaits,
  ) {}

  register(metrics: Metrics): void {
    metrics.gauge('reservations_live_holds', 'Seat holds that are HELD and not yet expired', [], async (g) => {
      g.set(await this.reservations.countAllLiveHolds(this.db.direct, this.clock.now()));
    });
    metrics.gauge('reservation_change_waits', 'GET /ticketing/reservations/{id} requests waiting for a change (Prefer: wait)', [], (g) => {
      g.set(this.waits.count);
    });
    metrics.gauge('confirm_sagas', 'Orchestrated confirm sagas by status (RUNNING, COMPENSATING, COMPLETED, FAILED, COMPENSATED)', ['status'], async (g) => {
      const counts = await this.sagas.countByStatus(this.db.direct);
      g.reset();
      for (const status of SAGA_STATUSES) g.set({ status }, counts.get(status) ?? 0);
    });
  }
}
