import { inject, injectable } from 'inversify';
import { LedgerRepository } from '../../infrastructure/ledger.repository';

@injectable()
export class GetBalanceQuery {
  constructor(@inject(LedgerRepository) private readonly ledger: LedgerRepository) {}

  /** 0 for a user who never charged. */
  async execute(userId: number): Promise<{ balance: number }> {
    return { balance: await this.ledger.balance(userId) };
  }
}
