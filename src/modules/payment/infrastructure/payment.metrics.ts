import { inject, injectable } from 'inversify';
import type { Metrics } from '../../../platform/metrics/metrics';
import type { ModuleMetrics } from '../../../platform/module/module-definition';
import { PAYMENT_GATEWAY, type PaymentGateway } from './payment-gateway';

/** The module's Prometheus series: the payment gateway's circuit breaker. */
@injectable()
export class PaymentMetrics implements ModuleMetrics {
  constructor(@inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway) {}

  register(metrics: Metrics): void {
    metrics.gauge('payment_gateway_breaker_state', 'Payment gateway circuit breaker: 0 closed, 1 half-open, 2 open', [], (g) =>
      g.set(this.gateway.breakerState()),
    );
  }
}
