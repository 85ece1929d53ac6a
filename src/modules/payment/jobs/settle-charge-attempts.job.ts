import { inject, injectable } from 'inversify';
import type { Clock } from '../../../platform/clock/clock';
import type { AppConfig } from '../../../platform/config/config';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import type { ChargeService } from '../commands/charge/charge.service';
import type { PaymentGateway } from '../gateway/payment-gateway';
import type { ChargeAttemptRepository } from '../ledger/charge-attempt.repository';
import { PAYMENT } from '../payment.di-tokens';

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
  constructor(
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PAYMENT.ChargeAttempts) private readonly attempts: ChargeAttemptRepository,
    @inject(PAYMENT.Gateway) private readonly gateway: PaymentGateway,
    @inject(PAYMENT.ChargeService) private readonly charges: ChargeService,
  ) {}

  /** Older than this, a PENDING attempt has no request working on it any more. */
  get staleAfterMs(): number {
    return Math.max(30_000, (this.config.paymentGateway?.timeoutMs ?? 0) * 10);
  }

  async run(): Promise<SettleReport> {
    const report: SettleReport = { settled: 0, voided: 0, declined: 0, left: 0 };
    // Only the gateway knows how an attempt made against it ended; without one, wait for it to be configured.
    if (this.gateway.local) return report;
    const stale = await this.attempts.pendingOlderThan(this.clock.now() - this.staleAfterMs, BATCH);
    for (const attempt of stale) {
      if (this.charges.isInFlight(attempt.id)) continue;
      let status;
      try {
        status = await this.gateway.status(attempt.id);
      } catch (err) {
        report.left += 1;
        this.logger.warn({ attemptId: attempt.id, err }, 'could not ask the gateway about a pending charge; will retry');
        continue;
      }
      if (status.state === 'APPROVED') {
        if (await this.charges.settle(attempt, status.gatewayRef)) report.settled += 1;
      } else if (status.state === 'DECLINED') {
        if (await this.charges.decline(attempt, status.reason)) report.declined += 1;
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
}
