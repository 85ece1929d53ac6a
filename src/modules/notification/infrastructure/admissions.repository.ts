import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';

/** Scans of a ticket take turns on its reservation with the handlers that revoke it. */
export const TICKET_OF_RESERVATION = 'ticket-of-reservation';

/** The door's record: when each ticket first admitted its holder, and who scanned it. */
@injectable()
export class Admissions {
  async firstUse(q: Db, reservationId: number): Promise<number | null> {
    const row: { admitted_at_ms: number | string } | undefined = await q('nt_admissions').where({ reservation_id: reservationId }).first();
    return row ? Number(row.admitted_at_ms) : null;
  }

  /** False when the ticket was admitted already (the primary key decides between concurrent scans). */
  async admit(trx: Transaction, reservationId: number, atMs: number, staffId: number): Promise<boolean> {
    const inserted: Array<{ reservation_id: number }> = await trx('nt_admissions')
      .insert({ reservation_id: reservationId, admitted_at_ms: atMs, admitted_by: staffId })
      .onConflict('reservation_id')
      .ignore()
      .returning('reservation_id');
    return inserted.length > 0;
  }
}
