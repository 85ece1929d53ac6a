import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { TicketCodes } from '../../../../platform/tickets/ticket-codes';
import { type AdmissionDecision, decideAdmission } from '../../domain/admission';
import { Admissions, TICKET_OF_RESERVATION } from '../../infrastructure/admissions.repository';
import { Projections } from '../../infrastructure/projections.repository';
import { NotificationErrors } from '../../notification.errors';

export interface Admission {
  reservationId: number;
  concert: { id: number; title: string; artist: string; venue: string } | null;
  schedule: { id: number; startsAt: string | null };
  seat: { id: number; label: string | null };
  holder: { id: number; name: string | null };
  admittedAt: string;
}

/**
 * The door: the code's signature is checked offline (TICKET_SECRET); then, in one transaction that
 * takes turns with the handlers revoking the same ticket, a revoked ticket is refused and a good
 * one admits once (and `ticket.admitted` tells the reservation module, which then refuses to
 * cancel it). Two doors scanning one ticket at once: the admissions' primary key lets one in.
 */
@injectable()
export class ScanTicketService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.TicketCodes) private readonly tickets: TicketCodes,
    @inject(Admissions) private readonly admissions: Admissions,
    @inject(Projections) private readonly projections: Projections,
  ) {}

  async scan(staffId: number, code: string): Promise<Admission> {
    const claims = this.tickets.verify(code);
    if (!claims) throw NotificationErrors.ticketInvalid();
    const { reservationId } = claims;
    const nowMs = this.clock.now();
    const decision = await this.db.transaction(async (trx): Promise<AdmissionDecision> => {
      await this.db.lock(trx, TICKET_OF_RESERVATION, reservationId);
      const state = await this.projections.reservation(trx, reservationId);
      const decided = decideAdmission(state, await this.admissions.firstUse(trx, reservationId));
      if (!decided.admit) return decided;
      if (await this.admissions.admit(trx, reservationId, nowMs, staffId)) {
        // The reservation module records the use: a ticket that let its holder in is not refunded.
        await this.outbox.publish(trx, 'ticket.admitted', reservationId, { reservationId, userId: claims.holderId, admittedAt: new Date(nowMs).toISOString() });
        return decided;
      }
      return { admit: false, reason: 'ALREADY_USED', firstUsedAtMs: (await this.admissions.firstUse(trx, reservationId)) ?? nowMs };
    });
    if (!decision.admit) {
      if (decision.reason === 'REVOKED') throw NotificationErrors.ticketRevoked(reservationId, new Date(decision.revokedAtMs).toISOString());
      throw NotificationErrors.ticketAlreadyUsed(reservationId, new Date(decision.firstUsedAtMs).toISOString());
    }
    const db = this.db.direct;
    const [seat, schedule, holder, reservation] = await Promise.all([
      this.projections.seats(db, [claims.seatId]),
      this.projections.schedules(db, [claims.scheduleId]),
      this.projections.users(db, [claims.holderId]),
      this.projections.reservation(db, reservationId),
    ]);
    const s = schedule.get(claims.scheduleId);
    return {
      reservationId,
      concert: s ? { id: s.concertId, title: s.title, artist: s.artist, venue: s.venue } : null,
      schedule: { id: claims.scheduleId, startsAt: s?.startsAt ?? null },
      seat: { id: claims.seatId, label: reservation?.seatLabel ?? seat.get(claims.seatId)?.label ?? null },
      holder: { id: claims.holderId, name: holder.get(claims.holderId)?.name ?? null },
      admittedAt: new Date(nowMs).toISOString(),
    };
  }
}
