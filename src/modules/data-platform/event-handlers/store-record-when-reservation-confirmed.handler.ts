import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import { type EventHandler, PermanentEventError } from '../../../platform/bus/subscription';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { DataPlatformSettings } from '../data-platform.settings';
import { initialDelivery } from '../domain/delivery';
import { RECORD_OF_RESERVATION, ReservationRecords } from '../infrastructure/reservation-records.repository';
import { DeliverRecordsJob } from '../jobs/deliver-records.job';

/**
 * Stores each confirmed reservation exactly once: the inbox drops a redelivered event, and the
 * unique reservation_id drops a second confirmation of the same reservation under another
 * event id. A cancellation handled first left a note, applied here. Only a row is written here;
 * the sink is called later by the delivery job.
 */
@injectable()
export class StoreRecordWhenReservationConfirmed implements EventHandler<'reservation.success'> {
  static readonly subscription = on('reservation.success', 'store-confirmed-reservation');

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: DataPlatformSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
    @inject(DeliverRecordsJob) private readonly deliveries: DeliverRecordsJob,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<'reservation.success'>, trx: Transaction): Promise<void> {
    const p = event.payload;
    const confirmedAtMs = Date.parse(p.confirmedAt);
    if (!Number.isFinite(confirmedAtMs)) throw new PermanentEventError(`reservation.success ${event.id} has an unreadable confirmedAt "${p.confirmedAt}"`);
    // Takes turns with the cancellation of the same reservation (another subscriber, maybe at the
    // same time): otherwise each could miss the other, the record staying CONFIRMED beside an
    // unread early-cancellation note.
    await this.db.lock(trx, RECORD_OF_RESERVATION, p.reservationId);
    const cancelledAtMs = await this.records.takeEarlyCancellation(trx, p.reservationId);
    const delivery = initialDelivery(this.settings.sinkUrl !== null);
    const stored = await this.records.insert(trx, {
      reservationId: p.reservationId,
      userId: p.userId,
      concertId: p.concertId,
      scheduleId: p.scheduleId,
      seatId: p.seatId,
      seatLabel: p.seatLabel,
      amount: p.price,
      paymentId: p.paymentId,
      confirmedAtMs,
      receivedAtMs: this.clock.now(),
      status: cancelledAtMs === null ? 'CONFIRMED' : 'CANCELLED',
      cancelledAtMs,
      sourceEventId: event.id,
      delivery,
    });
    // The kick waits for the commit: the job reads the record outside this transaction. The note
    // is made once the transaction has ended, just before the commit listener spends it, so a
    // concurrent transaction's commit (PostgreSQL) cannot spend it while this record is not
    // visible yet; a note left by a rolled-back attempt only costs a pass that finds nothing new.
    if (stored && delivery === 'PENDING') this.db.afterTransaction(trx, () => this.deliveries.noteNewRecord());
  }
}
