import { inject, injectable } from 'inversify';
import type { LedgerRepository } from '../../ledger/ledger.repository';
import { PAYMENT } from '../../payment.di-tokens';

@injectable()
export class BalanceQuery {
  constructor(@inject(PAYMENT.Ledger) private readonly ledger: LedgerRepository) {}

  /** 0 for a user who never charged. */
  async execute(userId: number): Promise<{ balance: number }> {
    return { balance: await this.ledger.balance(userId) };
  }
}
