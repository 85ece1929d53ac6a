import type { Container } from 'inversify';
import { subscribe } from '../../platform/bus/subscription';
import type { AppConfig } from '../../platform/config/config';
import type { Logger } from '../../platform/logging/logger';
import type { Metrics } from '../../platform/metrics/metrics';
import { defineModule } from '../../platform/module/module-definition';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { chargeRoute } from './commands/charge/charge.http.controller';
import { ChargeService } from './commands/charge/charge.service';
import { processPaymentRoute } from './commands/process-payment/process-payment.http.controller';
import { ProcessPaymentService } from './commands/process-payment/process-payment.service';
import { RefundOnConfirmedCancelled, RefundOnReservationFailed } from './event-handlers/compensation.handlers';
import { OnReservationCancelled, OnReservationExpired, OnReservationHeld, OnReservationSucceeded } from './event-handlers/reservation-copy.handlers';
import { OnPaymentRequested, OnRefundRequested } from './event-handlers/saga-command.handlers';
import { gatewayTuning, HttpPaymentGateway } from './gateway/http-payment-gateway';
import { BuiltInGateway, type PaymentGateway } from './gateway/payment-gateway';
import { SettleChargeAttemptsJob } from './jobs/settle-charge-attempts.job';
import { ChargeAttemptRepository } from './ledger/charge-attempt.repository';
import { LedgerRepository } from './ledger/ledger.repository';
import { PAYMENT } from './payment.di-tokens';
import { PaymentRepository } from './payments/payment.repository';
import { PayReservation } from './payments/pay-reservation';
import { RefundService } from './payments/refund.service';
import { BalanceQuery } from './queries/get-balance/balance.query';
import { balanceRoute } from './queries/get-balance/balance.http.controller';
import { historyRoute } from './queries/payment-history/history.http.controller';
import { HistoryQuery } from './queries/payment-history/history.query';
import { ReservationCopyRepository } from './reservation-copy/reservation-copy.repository';

export const paymentModule = defineModule({
  name: 'payment',
  bind(c: Container) {
    c.bind(PAYMENT.Ledger).to(LedgerRepository);
    c.bind(PAYMENT.Payments).to(PaymentRepository);
    c.bind(PAYMENT.ReservationCopies).to(ReservationCopyRepository);
    c.bind(PAYMENT.ChargeAttempts).to(ChargeAttemptRepository);
    c.bind<PaymentGateway>(PAYMENT.Gateway).toResolvedValue(
      (config: AppConfig, logger: Logger) =>
        config.paymentGateway ? new HttpPaymentGateway(config.paymentGateway.url, gatewayTuning(config.paymentGateway.timeoutMs), logger) : new BuiltInGateway(),
      [PLATFORM.Config, PLATFORM.Logger],
    );
    c.bind(PAYMENT.ChargeService).to(ChargeService);
    c.bind(PAYMENT.PayReservation).to(PayReservation);
    c.bind(PAYMENT.ProcessPaymentService).to(ProcessPaymentService);
    c.bind(PAYMENT.RefundService).to(RefundService);
    c.bind(PAYMENT.BalanceQuery).to(BalanceQuery);
    c.bind(PAYMENT.HistoryQuery).to(HistoryQuery);
    c.bind(PAYMENT.SettleChargeAttemptsJob).to(SettleChargeAttemptsJob);
    c.bind(PAYMENT.OnReservationHeld).to(OnReservationHeld);
    c.bind(PAYMENT.OnReservationExpired).to(OnReservationExpired);
    c.bind(PAYMENT.OnReservationCancelled).to(OnReservationCancelled);
    c.bind(PAYMENT.OnReservationSucceeded).to(OnReservationSucceeded);
    c.bind(PAYMENT.RefundOnReservationFailed).to(RefundOnReservationFailed);
    c.bind(PAYMENT.RefundOnConfirmedCancelled).to(RefundOnConfirmedCancelled);
    c.bind(PAYMENT.OnPaymentRequested).to(OnPaymentRequested);
    c.bind(PAYMENT.OnRefundRequested).to(OnRefundRequested);
  },
  routes: (c) => [
    chargeRoute(c.get(PAYMENT.ChargeService)),
    balanceRoute(c.get(PAYMENT.BalanceQuery)),
    processPaymentRoute(c.get(PAYMENT.ProcessPaymentService)),
    historyRoute(c.get(PAYMENT.HistoryQuery)),
  ],
  subscriptions: (c) => [
    subscribe('reservation.held', 'copy-on-reservation-held', c.get(PAYMENT.OnReservationHeld)),
    subscribe('reservation.expired', 'copy-on-reservation-expired', c.get(PAYMENT.OnReservationExpired)),
    subscribe('reservation.cancelled', 'copy-on-reservation-cancelled', c.get(PAYMENT.OnReservationCancelled)),
    subscribe('reservation.success', 'copy-on-reservation-success', c.get(PAYMENT.OnReservationSucceeded)),
    subscribe('reservation.failed', 'refund-on-reservation-failed', c.get(PAYMENT.RefundOnReservationFailed)),
    subscribe('reservation.cancelled', 'refund-on-confirmed-cancelled', c.get(PAYMENT.RefundOnConfirmedCancelled)),
    subscribe('payment.requested', 'pay-on-payment-requested', c.get(PAYMENT.OnPaymentRequested)),
    subscribe('payment.refund-requested', 'refund-on-refund-requested', c.get(PAYMENT.OnRefundRequested)),
  ],
  legacyJobs: (c) => [{ name: 'settle-charge-attempts', intervalMs: 10_000, run: async () => void (await c.get<SettleChargeAttemptsJob>(PAYMENT.SettleChargeAttemptsJob).run()) }],
  onStart: async (c) => {
    const gateway = c.get<PaymentGateway>(PAYMENT.Gateway);
    c.get<Metrics>(PLATFORM.Metrics).gauge('payment_gateway_breaker_state', 'Payment gateway circuit breaker: 0 closed, 1 half-open, 2 open', [], (g) => g.set(gateway.breakerState()));
  },
});
