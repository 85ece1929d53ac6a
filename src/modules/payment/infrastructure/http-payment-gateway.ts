import CircuitBreaker from 'opossum';
import type { Logger } from '../../../platform/logging/logger';
import {
  type AttemptStatus,
  type AuthorizeOutcome,
  type BreakerState,
  type ChargeRequest,
  GatewayUnavailableError,
  type PaymentGateway,
} from './payment-gateway';

export interface GatewayTuning {
  /** Per HTTP attempt (the request is aborted after it). */
  timeoutMs: number;
  /** HTTP attempts per call, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each further one, with jitter. */
  backoffMs: number;
  /** How long the breaker stays open before letting one probe through (half-open). */
  resetTimeoutMs: number;
  /** Failure percentage over the rolling window that opens the breaker... */
  errorThresholdPercentage: number;
  /** ...once at least this many calls were made in the window. */
  volumeThreshold: number;
  rollingWindowMs: number;
}

/**
 * Tuning from the configured timeout: two attempts, a short backoff, and a breaker that rests
 * five timeouts (at least a quarter second) before probing. A gateway that answers in
 * `timeoutMs` or not at all should not be probed much more often than that.
 */
export function gatewayTuning(timeoutMs: number, overrides: Partial<GatewayTuning> = {}): GatewayTuning {
  return {
    timeoutMs,
    attempts: 2,
    backoffMs: Math.min(100, Math.max(10, Math.round(timeoutMs / 4))),
    resetTimeoutMs: Math.max(250, timeoutMs * 5),
    errorThresholdPercentage: 50,
    volumeThreshold: 4,
    rollingWindowMs: 10_000,
    ...overrides,
  };
}

/** The gateway answered with something we cannot use; counts as a failure of the gateway. */
class GatewayResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayResponseError';
  }
}

type Operation = () => Promise<unknown>;

/**
 * An external payment gateway over HTTP (contract in the module's CONTEXT.md). Each HTTP attempt
 * goes through an opossum circuit breaker and is aborted after the timeout; failures are retried
 * a bounded number of times with a short backoff, unless the breaker is open, in which case the
 * call fails at once. Retrying a charge is safe: the gateway deduplicates on the attempt id.
 */
export class HttpPaymentGateway implements PaymentGateway {
  readonly local = false;
  private readonly breaker: CircuitBreaker<[Operation], unknown>;
  private readonly baseUrl: string;

  constructor(
    url: string,
    private readonly tuning: GatewayTuning,
    private readonly logger: Logger,
  ) {
    this.baseUrl = url.replace(/\/+$/, '');
    this.breaker = new CircuitBreaker<[Operation], unknown>((op: Operation) => op(), {
      name: 'payment-gateway',
      // Each operation carries its own AbortSignal timeout, which also cancels the request.
      timeout: false,
      resetTimeout: tuning.resetTimeoutMs,
      errorThresholdPercentage: tuning.errorThresholdPercentage,
      volumeThreshold: tuning.volumeThreshold,
      rollingCountTimeout: tuning.rollingWindowMs,
      enableSnapshots: false,
    });
    this.breaker.on('open', () => this.logger.warn({ breaker: 'payment-gateway', state: 'open' }, 'payment gateway breaker opened'));
    this.breaker.on('halfOpen', () => this.logger.info({ breaker: 'payment-gateway', state: 'half-open' }, 'payment gateway breaker half-open'));
    this.breaker.on('close', () => this.logger.info({ breaker: 'payment-gateway', state: 'closed' }, 'payment gateway breaker closed'));
  }

  async authorize(request: ChargeRequest): Promise<AuthorizeOutcome> {
    return this.withRetry('authorize', async () => {
      const res = await fetch(`${this.baseUrl}/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': request.attemptId },
        body: JSON.stringify({ attemptId: request.attemptId, userId: request.userId, amount: request.amount }),
        signal: AbortSignal.timeout(this.tuning.timeoutMs),
      });
      const body = await readJson(res);
      if (res.status === 402 || res.status === 422) return { approved: false, reason: reasonOf(body, `HTTP ${res.status}`) };
      if (res.status !== 200 && res.status !== 201) throw new GatewayResponseError(`gateway answered HTTP ${res.status}`);
      if (body?.approved === true && typeof body.gatewayRef === 'string' && body.gatewayRef.length > 0)
        return { approved: true, gatewayRef: body.gatewayRef.slice(0, 200) };
      if (body?.approved === false) return { approved: false, reason: reasonOf(body, 'declined') };
      throw new GatewayResponseError('gateway answer has no approved flag and gatewayRef');
    });
  }

  async status(attemptId: string): Promise<AttemptStatus> {
    return this.withRetry('status', async () => {
      const res = await fetch(`${this.baseUrl}/charges/${encodeURIComponent(attemptId)}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.tuning.timeoutMs),
      });
      const body = await readJson(res);
      if (res.status === 404) return { state: 'UNKNOWN_TO_GATEWAY' };
      if (res.status !== 200) throw new GatewayResponseError(`gateway answered HTTP ${res.status}`);
      if (body?.status === 'APPROVED' && typeof body.gatewayRef === 'string') return { state: 'APPROVED', gatewayRef: body.gatewayRef.slice(0, 200) };
      if (body?.status === 'DECLINED') return { state: 'DECLINED', reason: reasonOf(body, 'declined') };
      if (body?.status === 'PENDING') return { state: 'PENDING' };
      throw new GatewayResponseError('gateway status answer has no known status');
    });
  }

  breakerState(): BreakerState {
    if (this.breaker.opened) return 2;
    if (this.breaker.halfOpen) return 1;
    return 0;
  }

  private async withRetry<T>(what: string, op: () => Promise<T>): Promise<T> {
    let reached = false;
    let last: unknown = null;
    for (let attempt = 1; attempt <= this.tuning.attempts; attempt += 1) {
      if (attempt > 1) await sleep(jittered(this.tuning.backoffMs * 2 ** (attempt - 2)));
      try {
        return (await this.breaker.fire(op)) as T;
      } catch (err) {
        last = err;
        if (isBreakerOpen(err)) break;
        if (!neverReached(err)) reached = true;
        this.logger.warn({ gatewayCall: what, attempt, err }, 'payment gateway call failed');
      }
    }
    throw new GatewayUnavailableError(`payment gateway ${what} failed: ${describe(last)}`, reached);
  }
}

async function readJson(res: Response): Promise<Record<string, unknown> | null> {
  const text = await res.text();
  if (text.length === 0) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function reasonOf(body: Record<string, unknown> | null, fallback: string): string {
  return typeof body?.reason === 'string' && body.reason.length > 0 ? body.reason.slice(0, 200) : fallback;
}

function isBreakerOpen(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'EOPENBREAKER';
}

/** Errors that prove the request never left for the gateway. */
function neverReached(err: unknown): boolean {
  const code = ((err as { cause?: { code?: string } } | null)?.cause?.code ?? '') as string;
  return isBreakerOpen(err) || ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `${err.name}: ${err.message}${cause ? ` (${cause.code ?? cause.message ?? ''})` : ''}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

function jittered(ms: number): number {
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
