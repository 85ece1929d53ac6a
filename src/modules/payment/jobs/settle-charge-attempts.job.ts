import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { IdempotencyStore } from '../../../platform/idempotency/idempotency-store';
import type { Logger } from '../../../platform/logging/logger';
import { every } from '../../../platform/module/module-definition';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { chargedResponse, chargeRefusal } from '../commands/charge/charge.http.controller';
import { type AttemptRef, ChargeService, type KeyAnswer } from '../commands/charge/charge.service';
import { ChargeAttemptRepository } from '../infrastructure/charge-attempt.repository';
import { type AttemptStatus, PAYMENT_GATEWAY, type PaymentGateway } from '../infrastructure/payment-gateway';
import type { PaymentSettings } from '../payment.settings';

const BATCH = 100;

export interface SettleReport {
  settled: number;
  voided: number;
  declined: number;
  left: number;
}

/**
 * Resolves charge attempts left PENDING (the process died between asking the gateway and
 * writing the ledger, or the gateway's answer never came): asks the gateway how each ended and
 * settles (credits once), declines or voids it. An attempt is only touched once it is older than
 * any request could still be working on it.
 */
@injectable()
export class SettleChargeAttemptsJob {
  static readonly schedule = every(10_000, 'settle-charge-attempts');

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: PaymentSettings,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.Idempotency) private readonly idempotency: IdempotencyStore,
    @inject(ChargeAttemptRepository) private readonly attempts: ChargeAttemptRepository,
    @inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    @inject(ChargeService) private readonly charges: ChargeService,
  ) {}

  /** Older than this, a PENDING attempt has no request working on it any more. */
  get staleAfterMs(): number {
    return Math.max(30_000, (this.settings.paymentGateway?.timeoutMs ?? 0) * 10);
  }

  async run(): Promise<SettleReport> {
    const report: SettleReport = { settled: 0, voided: 0, declined: 0, left: 0 };
    // Only the gateway knows how an attempt made against it ended; without one, wait for it to be configured.
    if (this.gateway.local) return report;
    const stale = await this.attempts.pendingOlderThan(this.db.direct, this.clock.now() - this.staleAfterMs, BATCH);
    for (const attempt of stale) {
      if (this.charges.isInFlight(attempt.id)) continue;
      let status: AttemptStatus;
      try {
        status = await this.gateway.status(attempt.id);
      } catch (err) {
        report.left += 1;
        this.logger.warn({ attemptId: attempt.id, err }, 'could not ask the gateway about a pending charge; will retry');
        continue;
      }
      if (status.state === 'APPROVED') {
        if (await this.charges.settle(attempt, status.gatewayRef, this.answerFor(attempt))) report.settled += 1;
      } else if (status.state === 'DECLINED') {
        if (await this.charges.decline(attempt, status.reason, this.answerFor(attempt))) report.declined += 1;
      } else if (status.state === 'UNKNOWN_TO_GATEWAY') {
        // Nothing was charged. A keyed request stays in flight: its repeat sends the same attempt again.
        if (await this.db.transaction((trx) => this.attempts.resolve(trx, attempt.id, 'VOIDED', { failure: 'never reached the gateway' }))) report.voided += 1;
      } else {
        report.left += 1;
      }
    }
    if (stale.length > 0) this.logger.info({ ...report }, 'pending charge attempts resolved');
    return report;
  }

  /** A keyed attempt's request was cut off: its key gets the answer the charge route would have given. */
  private answerFor(attempt: AttemptRef): KeyAnswer | undefined {
    const key = attempt.idempotencyKey;
    if (key === null) return undefined;
    return {
      complete: (trx, result) => this.idempotency.completeUnowned(trx, attempt.userId, key, chargedResponse(result)),
      refuse: (trx, refusal) => this.idempotency.completeUnowned(trx, attempt.userId, key, chargeRefusal(refusal)),
    };
  }
}
