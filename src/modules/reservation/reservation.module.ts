import type { Container } from 'inversify';
import { subscribe } from '../../platform/bus/subscription';
import { defineModule } from '../../platform/module/module-definition';
import { ReservationLifecycle } from './application/reservation-lifecycle';
import { CatalogueRepository } from './catalogue/catalogue.repository';
import { cancelReservationRoute } from './commands/cancel-reservation/cancel-reservation.http.controller';
import { CancelReservationService } from './commands/cancel-reservation/cancel-reservation.service';
import { confirmReservationRoute } from './commands/confirm-reservation/confirm-reservation.http.controller';
import { ConfirmReservationService } from './commands/confirm-reservation/confirm-reservation.service';
import { holdSeatRoute } from './commands/hold-seat/hold-seat.http.controller';
import { HoldSeatService } from './commands/hold-seat/hold-seat.service';
import { OnPaymentSucceeded } from './event-handlers/on-payment-succeeded.handler';
import { OnSchedulePublished } from './event-handlers/on-schedule-published.handler';
import { OnSagaPaymentCancelled, OnSagaPaymentFailed, OnSagaPaymentSucceeded } from './event-handlers/saga-replies.handlers';
import { ReservationRepository } from './infrastructure/reservation.repository';
import { SeatClaimRepository } from './infrastructure/seat-claims.repository';
import { ExpireHoldsJob } from './jobs/expire-holds.job';
import { ReservationGauges } from './metrics/reservation.gauges';
import { getSagaRoute } from './queries/get-saga/get-saga.http.controller';
import { reservationQueryRoutes } from './queries/reservation.http.controller';
import { ReservationQueries } from './queries/reservation.queries';
import { RESERVATION } from './reservation.di-tokens';
import { ConfirmSagaOrchestrator } from './saga/confirm-saga.orchestrator';
import { ConfirmSagaRepository } from './saga/confirm-saga.repository';

export const reservationModule = defineModule({
  name: 'reservation',
  bind(c: Container) {
    c.bind(RESERVATION.Repository).to(ReservationRepository);
    c.bind(RESERVATION.SeatClaims).to(SeatClaimRepository);
    c.bind(RESERVATION.Catalogue).to(CatalogueRepository);
    c.bind(RESERVATION.Lifecycle).to(ReservationLifecycle);
    c.bind(RESERVATION.HoldSeatService).to(HoldSeatService);
    c.bind(RESERVATION.CancelReservationService).to(CancelReservationService);
    c.bind(RESERVATION.ReservationQueries).to(ReservationQueries);
    c.bind(RESERVATION.ExpireHoldsJob).to(ExpireHoldsJob);
    c.bind(RESERVATION.OnSchedulePublished).to(OnSchedulePublished);
    c.bind(RESERVATION.OnPaymentSucceeded).to(OnPaymentSucceeded);
    c.bind(RESERVATION.ReservationGauges).to(ReservationGauges);
    c.bind(RESERVATION.SagaRepository).to(ConfirmSagaRepository);
    c.bind(RESERVATION.ConfirmSaga).to(ConfirmSagaOrchestrator);
    c.bind(RESERVATION.ConfirmReservationService).to(ConfirmReservationService);
    c.bind(RESERVATION.OnSagaPaymentSucceeded).to(OnSagaPaymentSucceeded);
    c.bind(RESERVATION.OnSagaPaymentFailed).to(OnSagaPaymentFailed);
    c.bind(RESERVATION.OnSagaPaymentCancelled).to(OnSagaPaymentCancelled);
  },
  routes: (c) => [
    holdSeatRoute(c.get(RESERVATION.HoldSeatService)),
    confirmReservationRoute(c.get(RESERVATION.ConfirmReservationService)),
    ...reservationQueryRoutes(c.get(RESERVATION.ReservationQueries)),
    cancelReservationRoute(c.get(RESERVATION.CancelReservationService)),
    getSagaRoute(c.get(RESERVATION.ConfirmSaga)),
  ],
  subscriptions: (c) => [
    subscribe('concert.schedule.published', 'catalogue-copy', c.get(RESERVATION.OnSchedulePublished)),
    // One payment.success goes to one of the two: the choreography's (no saga) or the orchestrator's.
    subscribe('payment.success', 'confirm-on-payment', c.get(RESERVATION.OnPaymentSucceeded), { only: (p) => p.sagaId === null }),
    subscribe('payment.success', 'saga-on-payment-success', c.get(RESERVATION.OnSagaPaymentSucceeded), { only: (p) => p.sagaId !== null }),
    subscribe('payment.failed', 'saga-on-payment-failed', c.get(RESERVATION.OnSagaPaymentFailed)),
    subscribe('payment.cancelled', 'saga-on-payment-cancelled', c.get(RESERVATION.OnSagaPaymentCancelled)),
  ],
  legacyJobs: (c) => [
    { name: 'expire-holds', intervalMs: 1000, run: async () => void (await c.get<ExpireHoldsJob>(RESERVATION.ExpireHoldsJob).run()) },
    { name: 'saga-deadlines', intervalMs: 1000, run: async () => void (await c.get<ConfirmSagaOrchestrator>(RESERVATION.ConfirmSaga).runDue()) },
  ],
  onStart: async (c) => c.get<ReservationGauges>(RESERVATION.ReservationGauges).register(),
});
