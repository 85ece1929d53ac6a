import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type EntryType, LedgerRepository } from '../../infrastructure/ledger.repository';

export interface HistoryItem {
  id: number;
  type: EntryType;
  amount: number;
  balanceAfter: number;
  reservationId?: number;
  paymentId?: number;
  createdAt: string;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

@injectable()
export class PaymentHistoryQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(LedgerRepository) private readonly ledger: LedgerRepository,
  ) {}

  async execute(userId: number, limit: number, before?: number): Promise<HistoryPage> {
    // One more than asked tells whether an older page exists.
    const entries = await this.ledger.history(this.db.direct, userId, limit + 1, before);
    const page = entries.slice(0, limit);
    return {
      items: page.map((e) => ({
        id: e.id,
        type: e.type,
        amount: e.amount,
        balanceAfter: e.balanceAfter,
        ...(e.reservationId !== null ? { reservationId: e.reservationId } : {}),
        ...(e.paymentId !== null ? { paymentId: e.paymentId } : {}),
        createdAt: new Date(e.createdAtMs).toISOString(),
      })),
      nextBefore: entries.length > limit ? page[page.length - 1].id : null,
    };
  }
}
