import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { SEAT_STATUSES } from '../domain/seat-map';

/**
 * `seats_by_status{status}`: summed from the per-schedule counters (one row per schedule,
 * not per seat), so a scrape stays cheap however many seats there are.
 */
@injectable()
export class ConcertMetrics implements ModuleMetrics {
  constructor(@inject(PLATFORM.Database) private readonly db: ModuleDatabase) {}

  register(metrics: Metrics): void {
    metrics.gauge('seats_by_status', 'Seats in the catalogue by seat-map status', ['status'], async (gauge) => {
      const row = await this.db.direct('schedules').sum({ AVAILABLE: 'available_seats', HELD: 'held_seats', SOLD: 'sold_seats' }).first();
      for (const status of SEAT_STATUSES) gauge.set({ status }, Number(row?.[status] ?? 0));
    });
  }
}
