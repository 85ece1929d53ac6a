import { defineModule } from '../../platform/module/module-definition';
import { cancelReservationRoute } from './commands/cancel-reservation/cancel-reservation.http.controller';
import { CancelReservationService } from './commands/cancel-reservation/cancel-reservation.service';
import { confirmReservationRoute } from './commands/confirm-reservation/confirm-reservation.http.controller';
import { ConfirmReservationService } from './commands/confirm-reservation/confirm-reservation.service';
import { holdSeatRoute } from './commands/hold-seat/hold-seat.http.controller';
import { HoldSeatService } from './commands/hold-seat/hold-seat.service';
import { AdvanceConfirmSagaWhenPaid } from './event-handlers/advance-confirm-saga-when-paid.handler';
import { CompleteCompensationWhenRefunded } from './event-handlers/complete-compensation-when-refunded.handler';
import { ConfirmReservationWhenPaid } from './event-handlers/confirm-reservation-when-paid.handler';
import { CopyCatalogueWhenSchedulePublished } from './event-handlers/copy-catalogue-when-schedule-published.handler';
import { FailConfirmSagaWhenPaymentFailed } from './event-handlers/fail-confirm-saga-when-payment-failed.handler';
import { RecordTicketUseWhenAdmitted } from './event-handlers/record-ticket-use-when-admitted.handler';
import { ReservationMetrics } from './infrastructure/reservation.metrics';
import { ExpireHoldsJob } from './jobs/expire-holds.job';
import { SagaDeadlinesJob } from './jobs/saga-deadlines.job';
import { getReservationRoute } from './queries/get-reservation/get-reservation.http.controller';
import { GetReservationQuery } from './queries/get-reservation/get-reservation.query';
import { getSagaRoute } from './queries/get-saga/get-saga.http.controller';
import { GetSagaQuery } from './queries/get-saga/get-saga.query';
import { listReservationsRoute } from './queries/list-reservations/list-reservations.http.controller';
import { ListReservationsQuery } from './queries/list-reservations/list-reservations.query';
import { reservationHistoryRoute } from './queries/reservation-history/reservation-history.http.controller';
import { ReservationHistoryQuery } from './queries/reservation-history/reservation-history.query';
import { reservationSettings } from './reservation.settings';

export const reservationModule = defineModule({
  name: 'reservation',
  settings: reservationSettings,
  routes: (c) => [
    holdSeatRoute(c.get(HoldSeatService)),
    confirmReservationRoute(c.get(ConfirmReservationService)),
    listReservationsRoute(c.get(ListReservationsQuery)),
    getReservationRoute(c.get(GetReservationQuery)),
    reservationHistoryRoute(c.get(ReservationHistoryQuery)),
    cancelReservationRoute(c.get(CancelReservationService)),
    getSagaRoute(c.get(GetSagaQuery)),
  ],
  handlers: [
    CopyCatalogueWhenSchedulePublished,
    // One payment.success goes to one of these two (split by `only`): the choreography's (no saga) or the orchestrator's.
    ConfirmReservationWhenPaid,
    AdvanceConfirmSagaWhenPaid,
    FailConfirmSagaWhenPaymentFailed,
    CompleteCompensationWhenRefunded,
    RecordTicketUseWhenAdmitted,
  ],
  jobs: [ExpireHoldsJob, SagaDeadlinesJob],
  metrics: ReservationMetrics,
});
