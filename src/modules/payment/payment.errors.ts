import { DomainError } from '../../platform/domain/domain-error';
import { LIMITS } from './domain/money';

/** The payment module's refusals, by stable code. Routes map them to HTTP statuses. */
export const PaymentErrors = {
  notPayable: (detail: string) => new DomainError('RESERVATION_NOT_PAYABLE', 'Reservation not payable', detail),
  insufficientBalance: (balance: number, amount: number) =>
    new DomainError('INSUFFICIENT_BALANCE', 'Insufficient balance', `The payment needs ${amount} points; the balance is ${balance}.`, { balance, amount }),
  balanceLimit: (balance: number, amount: number) =>
    new DomainError(
      'BALANCE_LIMIT_EXCEEDED',
      'Balance limit exceeded',
      `Charging ${amount} would take the balance (${balance}, counting charges in progress) above ${LIMITS.maxBalance}.`,
      {
        balance,
        amount,
        maxBalance: LIMITS.maxBalance,
      },
    ),
  gatewayUnavailable: (detail = 'The payment gateway is not answering; nothing was charged. Retry later.') =>
    new DomainError('PAYMENT_GATEWAY_UNAVAILABLE', 'Payment gateway unavailable', detail, {}, 5),
  /** The gateway may have taken the money but did not say so in time: never charged again, settled later. */
  outcomeUnknown: (keyed: boolean) =>
    new DomainError(
      'PAYMENT_OUTCOME_UNKNOWN',
      'Payment outcome unknown',
      keyed
        ? 'The payment gateway did not answer in time and may have charged. Nothing is credited yet, and it will never be charged twice: repeat this request with the same Idempotency-Key to continue this charge and get its outcome.'
        : 'The payment gateway did not answer in time and may have charged. The charge will be settled (credited once, or voided if the gateway did not take it): see GET /payments/history. Do not retry it as a new charge; send an Idempotency-Key next time to be able to repeat safely.',
      { historyUrl: '/payments/history' },
      5,
    ),
  declined: (reason: string) => new DomainError('PAYMENT_DECLINED', 'Payment declined', `The payment gateway declined the charge: ${reason}.`, { reason }),
};
