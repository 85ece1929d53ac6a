import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { RECORD_OF_RESERVATION, ReservationRecords } from '../infrastructure/reservation-records.repository';

/**
 * A confirmed reservation that is cancelled (and refunded) stays in the feed as CANCELLED with
 * its cancellation time, and leaves the revenue. A cancelled hold was never in the feed: ignored.
 * The cancellation may be handled before the confirmation (different subscribers, no order
 * between them): it is then noted and applied when the confirmation arrives.
 */
@injectable()
export class MarkRecordCancelledWhenReservationCancelled implements EventHandler<'reservation.cancelled'> {
  static readonly subscription = on('reservation.cancelled', 'mark-reservation-cancelled');

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'reservation.cancelled'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    if (p.previousStatus !== 'CONFIRMED') return;
    // Takes turns with the confirmation of the same reservation: "no record yet, so leave a note"
    // is only true if that confirmation is not being stored at the same time.
    await this.db.lock(trx, RECORD_OF_RESERVATION, p.reservationId);
    const parsed = Date.parse(event.occurredAt);
    const cancelledAtMs = Number.isFinite(parsed) ? parsed : this.clock.now();
    const outcome = await this.records.cancel(trx, p.reservationId, cancelledAtMs);
    if (outcome === 'unknown') await this.records.noteEarlyCancellation(trx, p.reservationId, cancelledAtMs);
  }
}
