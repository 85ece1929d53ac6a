import type { Container } from 'inversify';
import { defineModule } from '../../platform/module/module-definition';
import { leaveQueueRoute } from './commands/leave-queue/leave-queue.http.controller';
import { LeaveQueueService } from './commands/leave-queue/leave-queue.service';
import { manageRoomsRoutes } from './commands/manage-rooms/manage-rooms.http.controller';
import { ManageRoomsService } from './commands/manage-rooms/manage-rooms.service';
import { RestoreLiveQueueService } from './commands/restore-live-queue/restore-live-queue.service';
import { takeTokenRoute } from './commands/take-token/take-token.http.controller';
import { TakeTokenService } from './commands/take-token/take-token.service';
import { updateQueueSettingsRoute } from './commands/update-queue-settings/update-queue-settings.http.controller';
import { UpdateQueueSettingsService } from './commands/update-queue-settings/update-queue-settings.service';
import { CompleteVisitWhenReservationConfirmed } from './event-handlers/complete-visit-when-reservation-confirmed.handler';
import { NoteConcertWhenSchedulePublished } from './event-handlers/note-concert-when-schedule-published.handler';
import { MemoryQueueStore } from './infrastructure/memory/memory-queue-store';
import { QueueMetrics } from './infrastructure/queue.metrics';
import { RedisQueueStore } from './infrastructure/redis/redis-queue-store';
import { RedisUserTurns } from './infrastructure/redis/redis-user-turns';
import { QUEUE_CONTAINER, RoomStores } from './infrastructure/room-stores';
import { LocalUserTurns, USER_TURNS, type UserTurns } from './infrastructure/user-turns';
import { AdmitJob } from './jobs/admit.job';
import { AnnounceRoomsJob } from './jobs/announce-rooms.job';
import { OpenRoomsJob } from './jobs/open-rooms.job';
import { PurgeEndedTokensJob } from './jobs/purge-ended-tokens.job';
import { getQueueOverviewRoute } from './queries/get-queue-overview/get-queue-overview.http.controller';
import { GetQueueOverviewQuery } from './queries/get-queue-overview/get-queue-overview.query';
import { getStatusRoute } from './queries/get-status/get-status.http.controller';
import { GetStatusQuery } from './queries/get-status/get-status.query';
import { listRoomsRoute } from './queries/list-rooms/list-rooms.http.controller';
import { ListRoomsQuery } from './queries/list-rooms/list-rooms.query';
import { type QueueSettings, queueSettings } from './queue.settings';
import { DEFAULT_ROOM, QUEUE_ROOM } from './queue-room';
import { QUEUE_STORE, type QueueStore } from './queue-store';

export const queueModule = defineModule({
  name: 'queue',
  settings: queueSettings,
  // The live state: this process's memory (default), or Redis shared by every replica (ADR 0011).
  // The module's own classes serve the default room; each on-sale room gets a child container (RoomStores, ADR 0012).
  bind(c: Container, settings: QueueSettings) {
    c.bind(QUEUE_ROOM).toConstantValue(DEFAULT_ROOM);
    c.bind(QUEUE_CONTAINER).toConstantValue(c);
    c.bind<QueueStore>(QUEUE_STORE).toService(settings.store.kind === 'redis' ? RedisQueueStore : MemoryQueueStore);
    c.bind<UserTurns>(USER_TURNS).toService(settings.store.kind === 'redis' ? RedisUserTurns : LocalUserTurns);
  },
  routes: (c) => [
    takeTokenRoute(c.get(TakeTokenService)),
    getStatusRoute(c.get(GetStatusQuery)),
    leaveQueueRoute(c.get(LeaveQueueService)),
    getQueueOverviewRoute(c.get(GetQueueOverviewQuery)),
    updateQueueSettingsRoute(c.get(UpdateQueueSettingsService)),
    listRoomsRoute(c.get(ListRoomsQuery)),
    ...manageRoomsRoutes(c.get(ManageRoomsService)),
  ],
  handlers: [CompleteVisitWhenReservationConfirmed, NoteConcertWhenSchedulePublished],
  jobs: [AdmitJob, OpenRoomsJob, AnnounceRoomsJob, PurgeEndedTokensJob],
  metrics: QueueMetrics,
  onStart: (c) => c.get(RestoreLiveQueueService).run(),
  onStop: async (c) => {
    await c.get(RoomStores).closeAll();
    await c.get<UserTurns>(USER_TURNS).close();
  },
});
