import { envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

export interface PaymentSettings {
  /** PAYMENT_GATEWAY_URL set: the external gateway, each request aborted after timeoutMs. Unset: the built-in gateway. */
  paymentGateway?: { url: string; timeoutMs: number };
  /** How long a payment waits for a hold it has not heard of yet (event lag is not the client's problem). */
  holdWaitMs: number;
}

export const paymentSettings = moduleSettings(
  {
    PAYMENT_GATEWAY_URL: envVar.url.optional(),
    PAYMENT_GATEWAY_TIMEOUT_MS: envVar.int(50, 60_000).default(2000),
    PAYMENT_HOLD_WAIT_MS: envVar.int(0, 30_000).default(2000),
  },
  (v): PaymentSettings => ({
    paymentGateway: v.PAYMENT_GATEWAY_URL ? { url: v.PAYMENT_GATEWAY_URL, timeoutMs: v.PAYMENT_GATEWAY_TIMEOUT_MS } : undefined,
    holdWaitMs: v.PAYMENT_HOLD_WAIT_MS,
  }),
);
