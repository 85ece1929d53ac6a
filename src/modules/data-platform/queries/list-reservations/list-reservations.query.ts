import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { awaitsDelivery } from '../../domain/delivery';
import type { DeliveryState, RecordStatus, ReservationRecord } from '../../domain/reservation-record';
import { ReservationRecords } from '../../infrastructure/reservation-records.repository';
import type { ListReservationsRequest } from './list-reservations.request.dto';

export interface ReservationFeedItem {
  reservationId: number;
  userId: number;
  concertId: number;
  concertTitle: string | null;
  scheduleId: number;
  startsAt: string | null;
  seatId: number;
  seatLabel: string;
  amount: number;
  paymentId: number;
  confirmedAt: string;
  receivedAt: string;
  status: RecordStatus;
  cancelledAt: string | null;
  delivery: DeliveryState;
  deliveryAttempts: number;
  deliveredAt: string | null;
  nextDeliveryAttemptAt: string | null;
  lastDeliveryError: string | null;
}

export interface ReservationFeedPage {
  items: ReservationFeedItem[];
  page: number;
  pageSize: number;
  total: number;
  /** Over the whole filtered set, not just this page. revenue counts CONFIRMED records only (a cancelled one was refunded). */
  summary: { count: number; revenue: number };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toItem(r: ReservationRecord): ReservationFeedItem {
  return {
    reservationId: r.reservationId,
    userId: r.userId,
    concertId: r.concertId,
    concertTitle: r.concertTitle,
    scheduleId: r.scheduleId,
    startsAt: r.startsAt,
    seatId: r.seatId,
    seatLabel: r.seatLabel,
    amount: r.amount,
    paymentId: r.paymentId,
    confirmedAt: new Date(r.confirmedAtMs).toISOString(),
    receivedAt: new Date(r.receivedAtMs).toISOString(),
    status: r.status,
    cancelledAt: iso(r.cancelledAtMs),
    delivery: r.delivery,
    deliveryAttempts: r.deliveryAttempts,
    deliveredAt: iso(r.deliveredAtMs),
    nextDeliveryAttemptAt: awaitsDelivery(r.delivery) ? iso(r.nextAttemptAtMs) : null,
    lastDeliveryError: r.lastDeliveryError,
  };
}

@injectable()
export class ListReservationsQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ReservationRecords) private readonly records: ReservationRecords,
  ) {}

  async execute(request: ListReservationsRequest): Promise<ReservationFeedPage> {
    const filter = {
      concertId: request.concertId,
      scheduleId: request.scheduleId,
      fromMs: request.from === undefined ? undefined : Date.parse(request.from),
      toMs: request.to === undefined ? undefined : Date.parse(request.to),
      status: request.status,
      delivery: request.delivery,
    };
    // One transaction, so the page and the summary of the whole filtered set agree.
    const page = await this.db.transaction((trx) => this.records.list(trx, filter, request.page, request.pageSize));
    return {
      items: page.records.map(toItem),
      page: request.page,
      pageSize: request.pageSize,
      total: page.total,
      summary: { count: page.total, revenue: page.revenue },
    };
  }
}
