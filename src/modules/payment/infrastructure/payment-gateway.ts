/** What the module asks a payment gateway to charge: an attempt id the gateway deduplicates on. */
export interface ChargeRequest {
  attemptId: string;
  userId: number;
  amount: number;
}

export type AuthorizeOutcome = { approved: true; gatewayRef: string } | { approved: false; reason: string };

/** The gateway's record of an attempt, for settling attempts whose outcome we never heard. */
export type AttemptStatus =
  | { state: 'APPROVED'; gatewayRef: string }
  | { state: 'DECLINED'; reason: string }
  /** The gateway has it but has not decided yet. */
  | { state: 'PENDING' }
  /** The gateway never received it: nothing was charged. */
  | { state: 'UNKNOWN_TO_GATEWAY' };

/** 0 closed, 1 half-open, 2 open (the `payment_gateway_breaker_state` gauge). */
export type BreakerState = 0 | 1 | 2;

/**
 * The gateway could not be asked or gave no usable answer. `mayHaveCharged` is false only when
 * the request certainly never reached it (breaker open, connection refused): then the attempt
 * can be voided at once; otherwise it stays PENDING until the gateway's status says how it ended.
 */
export class GatewayUnavailableError extends Error {
  constructor(
    message: string,
    readonly mayHaveCharged: boolean,
  ) {
    super(message);
    this.name = 'GatewayUnavailableError';
  }
}

/** Port for charging real money into points: the built-in gateway, or HttpPaymentGateway when PAYMENT_GATEWAY_URL is set. */
export interface PaymentGateway {
  /** True when approval needs no I/O: the attempt can be recorded and settled in one transaction. */
  readonly local: boolean;
  authorize(request: ChargeRequest): Promise<AuthorizeOutcome>;
  status(attemptId: string): Promise<AttemptStatus>;
  breakerState(): BreakerState;
}

export const PAYMENT_GATEWAY = Symbol.for('payment.Gateway');

/** Default: every charge is approved at once, in-process. */
export class BuiltInGateway implements PaymentGateway {
  readonly local = true;

  async authorize(request: ChargeRequest): Promise<AuthorizeOutcome> {
    return { approved: true, gatewayRef: `built-in:${request.attemptId}` };
  }

  async status(): Promise<AttemptStatus> {
    // The built-in gateway settles in the same transaction that records the attempt, so a
    // PENDING attempt was made against an external gateway this process is not configured for:
    // only that gateway knows how it ended.
    throw new GatewayUnavailableError('No external payment gateway is configured to ask about this attempt', true);
  }

  breakerState(): BreakerState {
    return 0;
  }
}
