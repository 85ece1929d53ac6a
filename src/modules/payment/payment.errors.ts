import { AppError } from '../../platform/http/app-error';

/** Money rules every path shares. Integer won. */
export const LIMITS = {
  minCharge: 1,
  maxCharge: 1_000_000,
  /** Charges may not take a balance above this; a refund restores points already owned and may. */
  maxBalance: 100_000_000,
} as const;

export const paymentErrors = {
  notPayable: (detail: string) => new AppError(409, 'RESERVATION_NOT_PAYABLE', 'Reservation not payable', detail),
  insufficientBalance: (balance: number, amount: number) =>
    new AppError(402, 'INSUFFICIENT_BALANCE', 'Insufficient balance', `The payment needs ${amount} points; the balance is ${balance}.`, { balance, amount }),
  balanceLimit: (balance: number, amount: number) =>
    new AppError(422, 'BALANCE_LIMIT_EXCEEDED', 'Balance limit exceeded', `Charging ${amount} would take the balance (${balance}, counting charges in progress) above ${LIMITS.maxBalance}.`, {
      balance,
      amount,
      maxBalance: LIMITS.maxBalance,
    }),
  gatewayUnavailable: (detail = 'The payment gateway is not answering; nothing was charged. Retry later.') =>
    new AppError(503, 'PAYMENT_GATEWAY_UNAVAILABLE', 'Payment gateway unavailable', detail, {}, { 'Retry-After': '5' }),
  /** The gateway may have taken the money but did not say so in time: never charged again, settled later. */
  outcomeUnknown: (keyed: boolean) =>
    new AppError(
      503,
      'PAYMENT_OUTCOME_UNKNOWN',
      'Payment outcome unknown',
      keyed
        ? 'The payment gateway did not answer in time and may have charged. Nothing is credited yet, and it will never be charged twice: repeat this request with the same Idempotency-Key to continue this charge and get its outcome.'
        : 'The payment gateway did not answer in time and may have charged. The charge will be settled (credited once, or voided if the gateway did not take it): see GET /payments/history. Do not retry it as a new charge; send an Idempotency-Key next time to be able to repeat safely.',
      { historyUrl: '/payments/history' },
      { 'Retry-After': '5' },
    ),
  declined: (reason: string) => new AppError(402, 'PAYMENT_DECLINED', 'Payment declined', `The payment gateway declined the charge: ${reason}.`, { reason }),
};
