import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { LedgerRepository } from '../../infrastructure/ledger.repository';

@injectable()
export class GetBalanceQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(LedgerRepository) private readonly ledger: LedgerRepository,
  ) {}

  /** 0 for a user who never charged. */
  async execute(userId: number): Promise<{ balance: number }> {
    return { balance: await this.ledger.balance(this.db.direct, userId) };
  }
}
