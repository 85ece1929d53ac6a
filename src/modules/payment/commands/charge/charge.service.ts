import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { GatewayUnavailableError, type PaymentGateway } from '../../gateway/payment-gateway';
import type { ChargeAttempt, ChargeAttemptRepository } from '../../ledger/charge-attempt.repository';
import type { LedgerRepository } from '../../ledger/ledger.repository';
import { LIMITS, paymentErrors } from '../../payment.errors';
import { PAYMENT } from '../../payment.di-tokens';

export interface ChargeResult {
  balance: number;
  transactionId: number;
}

/**
 * Turns money into points through the gateway port. With the built-in gateway (no I/O) the
 * attempt is recorded and settled in one transaction. With an external gateway no transaction
 * spans the call: record the attempt (PENDING), ask the gateway, then settle it (CHARGE entry +
 * SETTLED) in one transaction; an attempt whose outcome never got settled is resolved later by
 * the settle job from the gateway's own record.
 */
@injectable()
export class ChargeService {
  /** Attempts this process is asking the gateway about right now: the settle job leaves them alone. */
  private readonly inFlight = new Set<string>();

  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PAYMENT.Ledger) private readonly ledger: LedgerRepository,
    @inject(PAYMENT.ChargeAttempts) private readonly attempts: ChargeAttemptRepository,
    @inject(PAYMENT.Gateway) private readonly gateway: PaymentGateway,
  ) {}

  isInFlight(attemptId: string): boolean {
    return this.inFlight.has(attemptId);
  }

  async charge(userId: number, amount: number): Promise<ChargeResult> {
    return this.gateway.local ? this.chargeLocally(userId, amount) : this.chargeThroughGateway(userId, amount);
  }

  /** PENDING → SETTLED with its CHARGE entry, at most once; null if the attempt was already resolved. */
  async settle(attempt: Pick<ChargeAttempt, 'id' | 'userId' | 'amount'>, gatewayRef: string): Promise<ChargeResult | null> {
    return this.db.transaction(async (trx) => {
      if (!(await this.attempts.resolve(trx, attempt.id, 'SETTLED', { gatewayRef }))) return null;
      // No limit check here: the attempt's amount was counted against the limit when it was recorded.
      const posted = await this.ledger.credit(trx, attempt.userId, 'CHARGE', attempt.amount, { chargeAttemptId: attempt.id });
      if (!posted) throw new Error(`Crediting charge attempt ${attempt.id} failed`);
      return { balance: posted.balance, transactionId: posted.entryId };
    });
  }

  private async chargeLocally(userId: number, amount: number): Promise<ChargeResult> {
    const attemptId = randomUUID();
    const outcome = await this.gateway.authorize({ attemptId, userId, amount });
    if (!outcome.approved) throw paymentErrors.declined(outcome.reason);
    const { gatewayRef } = outcome;
    return this.db.transaction(async (trx) => {
      const pending = await this.attempts.pendingAmount(trx, userId);
      await this.attempts.insert(trx, { id: attemptId, userId, amount, status: 'SETTLED', gatewayRef });
      const posted = await this.ledger.credit(trx, userId, 'CHARGE', amount, { chargeAttemptId: attemptId }, LIMITS.maxBalance - pending);
      if (!posted) throw paymentErrors.balanceLimit((await this.ledger.balance(userId, trx)) + pending, amount);
      return { balance: posted.balance, transactionId: posted.entryId };
    });
  }

  private async chargeThroughGateway(userId: number, amount: number): Promise<ChargeResult> {
    const attemptId = randomUUID();
    await this.db.transaction(async (trx) => {
      await this.checkLimit(trx, userId, amount);
      await this.attempts.insert(trx, { id: attemptId, userId, amount, status: 'PENDING' });
    });
    this.inFlight.add(attemptId);
    try {
      let outcome;
      try {
        outcome = await this.gateway.authorize({ attemptId, userId, amount });
      } catch (err) {
        if (!(err instanceof GatewayUnavailableError)) throw err;
        // Certainly never charged: void now. Otherwise the gateway may have taken the money;
        // the attempt stays PENDING until the settle job learns the outcome from the gateway.
        if (!err.mayHaveCharged) await this.attempts.resolve(this.db.knex, attemptId, 'VOIDED', { failure: err.message });
        else this.logger.warn({ attemptId, userId, amount }, 'charge outcome unknown; left PENDING for the settle job');
        throw paymentErrors.gatewayUnavailable();
      }
      if (!outcome.approved) {
        await this.attempts.resolve(this.db.knex, attemptId, 'DECLINED', { failure: outcome.reason });
        throw paymentErrors.declined(outcome.reason);
      }
      const settled = await this.settle({ id: attemptId, userId, amount }, outcome.gatewayRef);
      if (settled) return settled;
      // Resolved by someone else meanwhile (another process's settle job): report what it wrote.
      const entry = await this.ledger.entryForChargeAttempt(attemptId);
      if (!entry) throw paymentErrors.gatewayUnavailable('The charge could not be settled; nothing was credited.');
      return { balance: entry.balanceAfter, transactionId: entry.id };
    } finally {
      this.inFlight.delete(attemptId);
    }
  }

  private async checkLimit(trx: Transaction, userId: number, amount: number): Promise<void> {
    const balance = await this.ledger.balance(userId, trx);
    const pending = await this.attempts.pendingAmount(trx, userId);
    if (balance + pending + amount > LIMITS.maxBalance) throw paymentErrors.balanceLimit(balance + pending, amount);
  }
}
