import { injectable } from 'inversify';
import type { Transaction } from '../../../platform/db/module-database';

export interface ScheduleFacts {
  scheduleId: number;
  concertId: number;
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
}

/**
 * The data platform's copy of the catalogue: per schedule, its concert and when it plays. Seat
 * labels are not copied: reservation.success carries the label of the seat it confirms.
 */
@injectable()
export class ScheduleCatalogue {
  async upsert(trx: Transaction, facts: ScheduleFacts, nowMs: number): Promise<void> {
    await trx('dp_schedules')
      .insert({
        schedule_id: facts.scheduleId,
        concert_id: facts.concertId,
        title: facts.title,
        artist: facts.artist,
        venue: facts.venue,
        starts_at: facts.startsAt,
        updated_at_ms: nowMs,
      })
      .onConflict('schedule_id')
      .merge();
  }
}
