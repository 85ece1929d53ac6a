import type { Container } from 'inversify';
import type { Logger } from '../../platform/logging/logger';
import { defineModule } from '../../platform/module/module-definition';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { chargeRoute } from './commands/charge/charge.http.controller';
import { ChargeService } from './commands/charge/charge.service';
import { processPaymentRoute } from './commands/process-payment/process-payment.http.controller';
import { ProcessPaymentService } from './commands/process-payment/process-payment.service';
import { CopyReservationWhenHeld } from './event-handlers/copy-reservation-when-held.handler';
import { MarkCopyCancelledWhenReservationCancelled } from './event-handlers/mark-copy-cancelled-when-reservation-cancelled.handler';
import { MarkCopyConfirmedWhenReservationSucceeded } from './event-handlers/mark-copy-confirmed-when-reservation-succeeded.handler';
import { MarkCopyExpiredWhenReservationExpired } from './event-handlers/mark-copy-expired-when-reservation-expired.handler';
import { PayWhenPaymentRequested } from './event-handlers/pay-when-payment-requested.handler';
import { RefundWhenConfirmedReservationCancelled } from './event-handlers/refund-when-confirmed-reservation-cancelled.handler';
import { RefundWhenRefundRequested } from './event-handlers/refund-when-refund-requested.handler';
import { RefundWhenReservationFailed } from './event-handlers/refund-when-reservation-failed.handler';
import { gatewayTuning, HttpPaymentGateway } from './infrastructure/http-payment-gateway';
import { PaymentMetrics } from './infrastructure/payment.metrics';
import { BuiltInGateway, PAYMENT_GATEWAY, type PaymentGateway } from './infrastructure/payment-gateway';
import { SettleChargeAttemptsJob } from './jobs/settle-charge-attempts.job';
import { type PaymentSettings, paymentSettings } from './payment.settings';
import { getBalanceRoute } from './queries/get-balance/get-balance.http.controller';
import { GetBalanceQuery } from './queries/get-balance/get-balance.query';
import { paymentHistoryRoute } from './queries/payment-history/payment-history.http.controller';
import { PaymentHistoryQuery } from './queries/payment-history/payment-history.query';

export const paymentModule = defineModule({
  name: 'payment',
  settings: paymentSettings,
  bind(c: Container, settings: PaymentSettings) {
    const gateway = settings.paymentGateway;
    c.bind<PaymentGateway>(PAYMENT_GATEWAY).toResolvedValue(
      (logger: Logger) => (gateway ? new HttpPaymentGateway(gateway.url, gatewayTuning(gateway.timeoutMs), logger) : new BuiltInGateway()),
      [PLATFORM.Logger],
    );
  },
  routes: (c) => [
    chargeRoute(c.get(ChargeService)),
    getBalanceRoute(c.get(GetBalanceQuery)),
    processPaymentRoute(c.get(ProcessPaymentService)),
    paymentHistoryRoute(c.get(PaymentHistoryQuery)),
  ],
  handlers: [
    CopyReservationWhenHeld,
    MarkCopyExpiredWhenReservationExpired,
    MarkCopyCancelledWhenReservationCancelled,
    MarkCopyConfirmedWhenReservationSucceeded,
    RefundWhenReservationFailed,
    RefundWhenConfirmedReservationCancelled,
    PayWhenPaymentRequested,
    RefundWhenRefundRequested,
  ],
  jobs: [SettleChargeAttemptsJob],
  metrics: PaymentMetrics,
});
