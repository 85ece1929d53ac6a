import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { canReschedule, initialRoomState, type Room, type RoomState } from '../../domain/room';
import type { RoomView } from '../../domain/room-view';
import { ConcertCopyRepository } from '../../infrastructure/concert-copy.repository';
import { RoomCounts } from '../../infrastructure/room-counts';
import { RoomStores } from '../../infrastructure/room-stores';
import { RoomsRepository } from '../../infrastructure/rooms.repository';
import { QueueErrors } from '../../queue.errors';
import type { CreateRoomRequest, UpdateRoomRequest } from './manage-rooms.request.dto';

const NOT_CLOSED: RoomState[] = ['SCHEDULED', 'OPENING', 'OPEN'];

/**
 * An admin's rooms (ADR 0012): create one for a concert, change its opening or flow, pause and
 * resume its admissions, close it. Each change is written (with `queue.room.changed` when a room
 * comes or goes, so every pass checker knows which concerts have a room), then the room's store
 * follows it.
 */
@injectable()
export class ManageRoomsService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(RoomsRepository) private readonly repo: RoomsRepository,
    @inject(RoomStores) private readonly stores: RoomStores,
    @inject(RoomCounts) private readonly counts: RoomCounts,
    @inject(ConcertCopyRepository) private readonly concerts: ConcertCopyRepository,
  ) {}

  async create(req: CreateRoomRequest): Promise<RoomView> {
    const now = this.clock.now();
    const opensAtMs = req.opensAt === undefined ? null : Date.parse(req.opensAt);
    const state = initialRoomState(opensAtMs, now);
    const id = await this.db.transaction(async (trx) => {
      if (!(await this.concerts.exists(trx, req.concertId))) throw QueueErrors.concertNotFound(req.concertId);
      const inserted = await this.repo.insert(trx, {
        concertId: req.concertId,
        opensAtMs,
        maxActive: req.maxActive,
        admitPerSecond: req.admitPerSecond,
        paused: false,
        state,
        createdAtMs: now,
      });
      if (inserted === null) return null;
      await this.outbox.publish(trx, 'queue.room.changed', inserted, { roomId: inserted, concertId: req.concertId, inForce: true });
      return inserted;
    });
    if (id === null) {
      const existing = (await this.stores.inForce(true)).find((r) => r.concertId === req.concertId);
      throw QueueErrors.roomExists(req.concertId, existing?.id ?? 0);
    }
    return this.viewAfterChange(id);
  }

  async update(id: number, req: UpdateRoomRequest): Promise<RoomView> {
    const now = this.clock.now();
    await this.change(id, async (trx, room) => {
      if (req.opensAt !== undefined && !canReschedule(room)) throw QueueErrors.roomAlreadyOpened();
      const opensAtMs = req.opensAt === undefined ? undefined : req.opensAt === null ? null : Date.parse(req.opensAt);
      return this.repo.update(
        trx,
        id,
        req.opensAt === undefined ? NOT_CLOSED : ['SCHEDULED'],
        { opensAtMs, maxActive: req.maxActive, admitPerSecond: req.admitPerSecond },
        now,
      );
    });
    return this.viewAfterChange(id);
  }

  async setPaused(id: number, paused: boolean): Promise<RoomView> {
    await this.change(id, (trx) => this.repo.update(trx, id, NOT_CLOSED, { paused }, this.clock.now()));
    return this.viewAfterChange(id);
  }

  /**
   * Closing ends the room: its pre-queue is dropped, its live tokens end (`LEFT`: an admitted
   * holder's pass stops working everywhere), and its concert goes back to the default room.
   */
  async close(id: number): Promise<RoomView> {
    const now = this.clock.now();
    const room = await this.repo.find(this.repo.direct, id);
    if (!room) throw QueueErrors.roomNotFound();
    if (room.state === 'CLOSED') throw QueueErrors.roomClosed();
    const { tokens, revocations } = this.stores.scoped(room);
    await this.db.transaction(async (trx) => {
      await this.db.lock(trx, 'room-opening', id);
      if (!(await this.repo.update(trx, id, NOT_CLOSED, { state: 'CLOSED', closedAtMs: now }, now))) throw QueueErrors.roomClosed();
      const { waiting, active } = await tokens.loadLive(trx);
      await tokens.end(
        trx,
        waiting.map((t) => t.seq),
        'WAITING',
        'EXPIRED',
        'LEFT',
        now,
      );
      const ended = new Set(
        await tokens.end(
          trx,
          active.map((t) => t.seq),
          'ACTIVE',
          'EXPIRED',
          'LEFT',
          now,
        ),
      );
      for (const t of active) if (ended.has(t.seq) && t.expires_at_ms !== null) await revocations.publish(trx, t.token, t.user_id, 'LEFT', t.expires_at_ms);
      await this.outbox.publish(trx, 'queue.room.changed', id, { roomId: id, concertId: room.concertId, inForce: false });
    });
    await this.stores.drop(id);
    await this.stores.inForce(true);
    const closed = await this.repo.find(this.repo.direct, id);
    return this.counts.view(closed as Room);
  }

  /** Runs a guarded change of a room that is not closed: 404 if unknown, 409 if closed. */
  private async change(id: number, work: (trx: Transaction, room: Room) => Promise<boolean>): Promise<void> {
    const changed = await this.db.transaction(async (trx) => {
      const room = await this.repo.find(trx, id);
      if (!room) throw QueueErrors.roomNotFound();
      if (room.state === 'CLOSED') throw QueueErrors.roomClosed();
      return work(trx, room);
    });
    // The guard refused: the room moved on meanwhile (opened, or closed).
    if (!changed) {
      const now = await this.repo.find(this.repo.direct, id);
      throw now?.state === 'CLOSED' ? QueueErrors.roomClosed() : QueueErrors.roomAlreadyOpened();
    }
  }

  private async viewAfterChange(id: number): Promise<RoomView> {
    const room = (await this.stores.inForce(true)).find((r) => r.id === id);
    if (!room) throw QueueErrors.roomNotFound();
    await this.stores.applyFlow(room);
    return this.counts.view(room);
  }
}
