import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';

/** The queue module's copy of which concerts exist (from `concert.schedule.published`). */
@injectable()
export class ConcertCopyRepository {
  /** A concert's schedules each publish it: the first one notes it, the others change nothing. */
  async note(trx: Transaction, concertId: number, title: string, nowMs: number): Promise<void> {
    await trx('queue_concerts').insert({ concert_id: concertId, title, noted_at_ms: nowMs }).onConflict('concert_id').ignore();
  }

  async exists(q: Db, concertId: number): Promise<boolean> {
    return (await q('queue_concerts').where({ concert_id: concertId }).first('concert_id')) !== undefined;
  }
}
