import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { DomainError } from '../../../../platform/domain/domain-error';
import { type IdempotencyScope, OutcomePendingError } from '../../../../platform/idempotency/idempotency-store';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { exceedsBalanceLimit } from '../../domain/money';
import { type ChargeAttempt, ChargeAttemptRepository } from '../../infrastructure/charge-attempt.repository';
import { LedgerRepository } from '../../infrastructure/ledger.repository';
import { type AttemptStatus, type AuthorizeOutcome, GatewayUnavailableError, PAYMENT_GATEWAY, type PaymentGateway } from '../../infrastructure/payment-gateway';
import { PaymentErrors } from '../../payment.errors';
import { keyedChargeAttemptId } from './charge-attempt-id';

export interface ChargeResult {
  balance: number;
  transactionId: number;
}

export type AttemptRef = Pick<ChargeAttempt, 'id' | 'userId' | 'amount' | 'idempotencyKey'>;

/**
 * Where the answer of the keyed request an attempt belongs to is stored, in the transaction that
 * resolves the attempt: the request's own IdempotencyScope, or, for an attempt the settle job
 * resolves after its request was cut off, the key's row as the charge route would have answered.
 */
export interface KeyAnswer {
  complete(trx: Transaction, result: ChargeResult): Promise<void>;
  refuse(trx: Transaction, refusal: DomainError): Promise<void>;
}

/** What recording (or finding) the attempt decided, before the gateway is asked. */
type Recorded = { kind: 'ask'; attempt: AttemptRef } | { kind: 'existing'; attempt: ChargeAttempt } | { kind: 'refused'; error: DomainError };

/**
 * Turns money into points through the gateway port. With the built-in gateway (no I/O) the
 * attempt is recorded and settled in one transaction, with the key's answer. With an external
 * gateway no transaction spans the call: record the attempt (PENDING), ask the gateway, then
 * settle it (CHARGE entry + SETTLED + the key's answer) in one transaction.
 *
 * A keyed charge's attempt id comes from (user, key), so a repeat always continues the same
 * attempt and never charges anew: it answers the settled outcome, asks the gateway how the
 * attempt ended, or (while the gateway cannot tell) answers IDEMPOTENCY_IN_FLIGHT. An attempt whose
 * outcome nobody heard is resolved by the settle job from the gateway's own record.
 */
@injectable()
export class ChargeService {
  /** Attempts this process is asking the gateway about right now: the settle job and repeats leave them alone. */
  private readonly inFlight = new Set<string>();

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @inject(ChargeAttemptRepository) private readonly attempts: ChargeAttemptRepository,
    @inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
  ) {}

  isInFlight(attemptId: string): boolean {
    return this.inFlight.has(attemptId);
  }

  async charge(userId: number, amount: number, scope?: IdempotencyScope<ChargeResult>): Promise<ChargeResult> {
    const attemptId = scope ? keyedChargeAttemptId(userId, scope.key) : randomUUID();
    return this.gateway.local
      ? this.chargeLocally(userId, amount, attemptId, scope)
      : this.chargeThroughGateway({ id: attemptId, userId, amount, idempotencyKey: scope?.key ?? null }, scope);
  }

  /** PENDING → SETTLED with its CHARGE entry and its key's answer, at most once; null if the attempt was already resolved. */
  async settle(attempt: AttemptRef, gatewayRef: string, answer?: KeyAnswer): Promise<ChargeResult | null> {
    return this.db.transaction(async (trx) => {
      if (!(await this.attempts.resolve(trx, attempt.id, 'SETTLED', { gatewayRef }))) return null;
      // No limit check here: the attempt's amount was counted against the limit when it was recorded.
      const posted = await this.ledger.credit(trx, attempt.userId, 'CHARGE', attempt.amount, { chargeAttemptId: attempt.id });
      if (!posted) throw new Error(`Crediting charge attempt ${attempt.id} failed`);
      const result = { balance: posted.balance, transactionId: posted.entryId };
      await answer?.complete(trx, result);
      return result;
    });
  }

  /** PENDING → DECLINED with its key's answer (PAYMENT_DECLINED); false if the attempt was already resolved. */
  async decline(attempt: AttemptRef, reason: string, answer?: KeyAnswer): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      if (!(await this.attempts.resolve(trx, attempt.id, 'DECLINED', { failure: reason }))) return false;
      await answer?.refuse(trx, PaymentErrors.declined(reason));
      return true;
    });
  }

  private async chargeLocally(userId: number, amount: number, attemptId: string, scope?: IdempotencyScope<ChargeResult>): Promise<ChargeResult> {
    const outcome = await this.gateway.authorize({ attemptId, userId, amount });
    if (!outcome.approved) throw PaymentErrors.declined(outcome.reason);
    const { gatewayRef } = outcome;
    const answer = await this.db.transaction(async (trx): Promise<{ result: ChargeResult } | { error: DomainError }> => {
      // Settled by an earlier request with this key, whose stored answer has since been purged.
      const earlier = scope ? await this.attempts.findById(trx, attemptId) : null;
      if (earlier) return { result: await this.resultOf(trx, earlier) };
      const error = await this.overLimit(trx, userId, amount);
      if (error) {
        await scope?.refuse(trx, error);
        return { error };
      }
      await this.attempts.insert(trx, { id: attemptId, userId, amount, status: 'SETTLED', gatewayRef, idempotencyKey: scope?.key ?? null });
      const posted = await this.ledger.credit(trx, userId, 'CHARGE', amount, { chargeAttemptId: attemptId });
      if (!posted) throw new Error(`Crediting charge attempt ${attemptId} failed`);
      const result = { balance: posted.balance, transactionId: posted.entryId };
      await scope?.complete(trx, result);
      return { result };
    });
    if ('error' in answer) throw answer.error;
    return answer.result;
  }

  private async chargeThroughGateway(attempt: AttemptRef, scope?: IdempotencyScope<ChargeResult>): Promise<ChargeResult> {
    const recorded = await this.db.transaction((trx) => this.record(trx, attempt, scope));
    if (recorded.kind === 'refused') throw recorded.error;
    if (recorded.kind === 'ask') return this.exclusively(attempt.id, () => this.authorize(recorded.attempt, scope));
    const earlier = recorded.attempt;
    switch (earlier.status) {
      case 'SETTLED':
        return this.resultOf(this.db.direct, earlier);
      case 'DECLINED':
        throw PaymentErrors.declined(earlier.failure ?? 'declined');
      default:
        return this.exclusively(earlier.id, () => this.continuePending(earlier, scope));
    }
  }

  /** Records a new attempt (PENDING), revives a voided one, or finds the one an earlier request with this key made. */
  private async record(trx: Transaction, attempt: AttemptRef, scope?: IdempotencyScope<ChargeResult>): Promise<Recorded> {
    const earlier = scope ? await this.attempts.findById(trx, attempt.id) : null;
    if (earlier && earlier.status !== 'VOIDED') return { kind: 'existing', attempt: earlier };
    const error = await this.overLimit(trx, attempt.userId, attempt.amount);
    if (error) {
      await scope?.refuse(trx, error);
      return { kind: 'refused', error };
    }
    // A voided attempt never reached the gateway (or the gateway has no record of it): send it again, under the same id.
    if (earlier) await this.attempts.revive(trx, attempt.id);
    else
      await this.attempts.insert(trx, {
        id: attempt.id,
        userId: attempt.userId,
        amount: attempt.amount,
        status: 'PENDING',
        idempotencyKey: attempt.idempotencyKey,
      });
    await scope?.attach(trx, attempt.id);
    return { kind: 'ask', attempt };
  }

  /**
   * The balance limit's refusal of charging `amount` now, or null. The limit counts the balance and
   * the user's PENDING attempts, a rule no single row carries: a charge through an external gateway
   * only inserts its own attempt, so two overlapping charges would each see room for one more on
   * their snapshots (write skew). The user's charges take turns instead, whichever path records them.
   */
  private async overLimit(trx: Transaction, userId: number, amount: number): Promise<DomainError | null> {
    await this.db.lock(trx, 'charges-of-user', userId);
    const balance = await this.ledger.balance(trx, userId);
    const pending = await this.attempts.pendingAmount(trx, userId);
    return exceedsBalanceLimit(balance + pending, amount) ? PaymentErrors.balanceLimit(balance + pending, amount) : null;
  }

  /** Sends the attempt to the gateway (which deduplicates on its id) and settles what it answers. */
  private async authorize(attempt: AttemptRef, answer?: KeyAnswer): Promise<ChargeResult> {
    let outcome: AuthorizeOutcome;
    try {
      outcome = await this.gateway.authorize({ attemptId: attempt.id, userId: attempt.userId, amount: attempt.amount });
    } catch (err) {
      if (!(err instanceof GatewayUnavailableError)) throw err;
      if (!err.mayHaveCharged) {
        // Certainly never charged: void now (a keyed repeat sends the same attempt again).
        await this.db.transaction((trx) => this.attempts.resolve(trx, attempt.id, 'VOIDED', { failure: err.message }));
        throw PaymentErrors.gatewayUnavailable();
      }
      // The gateway may have taken the money: the attempt stays PENDING until its outcome is known.
      this.logger.warn(
        { attemptId: attempt.id, userId: attempt.userId, amount: attempt.amount, keyed: attempt.idempotencyKey !== null },
        'charge outcome unknown; left PENDING',
      );
      throw PaymentErrors.outcomeUnknown(attempt.idempotencyKey !== null);
    }
    if (!outcome.approved) {
      await this.decline(attempt, outcome.reason, answer);
      throw PaymentErrors.declined(outcome.reason);
    }
    return this.settledOrRecorded(attempt, outcome.gatewayRef, answer);
  }

  /** A keyed repeat of a charge whose outcome nobody heard: asks the gateway how that same attempt ended. */
  private async continuePending(attempt: ChargeAttempt, answer?: KeyAnswer): Promise<ChargeResult> {
    let status: AttemptStatus;
    try {
      status = await this.gateway.status(attempt.id);
    } catch (err) {
      if (!(err instanceof GatewayUnavailableError)) throw err;
      throw new OutcomePendingError(
        'The payment gateway cannot tell yet how this charge ended; nothing was charged twice. Repeat the request later with the same Idempotency-Key.',
        5,
      );
    }
    switch (status.state) {
      case 'APPROVED':
        return this.settledOrRecorded(attempt, status.gatewayRef, answer);
      case 'DECLINED':
        await this.decline(attempt, status.reason, answer);
        throw PaymentErrors.declined(status.reason);
      case 'PENDING':
        throw new OutcomePendingError('The payment gateway is still deciding this charge. Repeat the request later with the same Idempotency-Key.', 2);
      default:
        // The gateway never got it (the first request died on the way): send the same attempt now.
        // A late copy of the first request carries the same id, so the gateway charges at most once.
        return this.authorize(attempt, answer);
    }
  }

  private async settledOrRecorded(attempt: AttemptRef, gatewayRef: string, answer?: KeyAnswer): Promise<ChargeResult> {
    const settled = await this.settle(attempt, gatewayRef, answer);
    if (settled) return settled;
    // Resolved by someone else meanwhile (the settle job, another process): answer what it wrote.
    const entry = await this.ledger.entryForChargeAttempt(this.db.direct, attempt.id);
    if (!entry) throw PaymentErrors.gatewayUnavailable('The charge could not be settled; nothing was credited.');
    return { balance: entry.balanceAfter, transactionId: entry.id };
  }

  private async resultOf(q: Db, attempt: ChargeAttempt): Promise<ChargeResult> {
    const entry = await this.ledger.entryForChargeAttempt(q, attempt.id);
    if (!entry) throw new Error(`Settled charge attempt ${attempt.id} has no CHARGE entry`);
    return { balance: entry.balanceAfter, transactionId: entry.id };
  }

  /** One request of this process at a time per attempt; a concurrent repeat hears that the first is still at it. */
  private async exclusively(attemptId: string, work: () => Promise<ChargeResult>): Promise<ChargeResult> {
    if (this.inFlight.has(attemptId))
      throw new OutcomePendingError('This charge is being sent to the payment gateway right now; repeat the request shortly.', 1);
    this.inFlight.add(attemptId);
    try {
      return await work();
    } finally {
      this.inFlight.delete(attemptId);
    }
  }
}
