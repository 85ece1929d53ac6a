import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Metrics } from '../../../platform/metrics/metrics';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { ReservationQueries } from '../queries/reservation.queries';
import type { ReservationRepository } from '../infrastructure/reservation.repository';
import { RESERVATION } from '../reservation.di-tokens';

/**
 * `reservations_live_holds`: holds that are HELD and not yet expired; `confirm_sagas` by status:
 * the orchestrated saga's outcomes. Both read at scrape time from the tables, so a rolled-back
 * transaction can never have moved them. `reservation_change_waits`: requests held open by
 * `Prefer: wait` (each holds a connection).
 */
@injectable()
export class ReservationGauges {
  private registered = false;

  constructor(
    @inject(PLATFORM.Metrics) private readonly metrics: Metrics,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(RESERVATION.ReservationQueries) private readonly queries: ReservationQueries,
  ) {}

  register(): void {
    if (this.registered) return;
    this.registered = true;
    this.metrics.gauge('reservations_live_holds', 'Seat holds that are HELD and not yet expired', [], async (g) => {
      g.set(await this.repository.countAllLiveHolds(this.clock.now()));
    });
    this.metrics.gauge('reservation_change_waits', 'GET /ticketing/reservations/{id} requests waiting for a change (Prefer: wait)', [], (g) => {
      g.set(this.queries.waiting);
    });
    this.metrics.gauge('confirm_sagas', 'Orchestrated confirm sagas by status (RUNNING, COMPENSATING, COMPLETED, FAILED, COMPENSATED)', ['status'], async (g) => {
      const rows: Array<{ status: string; n: number }> = await this.db.knex('confirm_sagas').select('status').count({ n: '*' }).groupBy('status');
      g.reset();
      for (const status of ['RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED', 'COMPENSATED']) g.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    });
  }
}
