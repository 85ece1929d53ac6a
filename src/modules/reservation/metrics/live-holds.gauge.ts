import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { Metrics } from '../../../platform/metrics/metrics';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { ReservationRepository } from '../infrastructure/reservation.repository';
import { RESERVATION } from '../reservation.di-tokens';

/** `reservations_live_holds`: holds that are HELD and not yet expired, read at scrape time. */
@injectable()
export class LiveHoldsGauge {
  private registered = false;

  constructor(
    @inject(PLATFORM.Metrics) private readonly metrics: Metrics,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RESERVATION.Repository) private readonly repository: ReservationRepository,
  ) {}

  register(): void {
    if (this.registered) return;
    this.registered = true;
    this.metrics.gauge('reservations_live_holds', 'Seat holds that are HELD and not yet expired', [], async (g) => {
      g.set(await this.repository.countAllLiveHolds(this.clock.now()));
    });
  }
}
