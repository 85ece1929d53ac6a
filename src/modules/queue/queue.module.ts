import type { Container } from 'inversify';
import { defineModule } from '../../platform/module/module-definition';
import { leaveQueueRoute } from './commands/leave-queue/leave-queue.http.controller';
import { LeaveQueueService } from './commands/leave-queue/leave-queue.service';
import { RestoreLiveQueueService } from './commands/restore-live-queue/restore-live-queue.service';
import { takeTokenRoute } from './commands/take-token/take-token.http.controller';
import { TakeTokenService } from './commands/take-token/take-token.service';
import { updateQueueSettingsRoute } from './commands/update-queue-settings/update-queue-settings.http.controller';
import { UpdateQueueSettingsService } from './commands/update-queue-settings/update-queue-settings.service';
import { CompleteVisitWhenReservationConfirmed } from './event-handlers/complete-visit-when-reservation-confirmed.handler';
import { MemoryQueueStore } from './infrastructure/memory/memory-queue-store';
import { QueueMetrics } from './infrastructure/queue.metrics';
import { RedisQueueStore } from './infrastructure/redis/redis-queue-store';
import { AdmitJob } from './jobs/admit.job';
import { PurgeEndedTokensJob } from './jobs/purge-ended-tokens.job';
import { getQueueOverviewRoute } from './queries/get-queue-overview/get-queue-overview.http.controller';
import { GetQueueOverviewQuery } from './queries/get-queue-overview/get-queue-overview.query';
import { getStatusRoute } from './queries/get-status/get-status.http.controller';
import { GetStatusQuery } from './queries/get-status/get-status.query';
import { type QueueSettings, queueSettings } from './queue.settings';
import { QUEUE_STORE, type QueueStore } from './queue-store';

export const queueModule = defineModule({
  name: 'queue',
  settings: queueSettings,
  // The live state: this process's memory (default), or Redis shared by every replica (ADR 0011).
  bind(c: Container, settings: QueueSettings) {
    c.bind<QueueStore>(QUEUE_STORE).toService(settings.store.kind === 'redis' ? RedisQueueStore : MemoryQueueStore);
  },
  routes: (c) => [
    takeTokenRoute(c.get(TakeTokenService)),
    getStatusRoute(c.get(GetStatusQuery)),
    leaveQueueRoute(c.get(LeaveQueueService)),
    getQueueOverviewRoute(c.get(GetQueueOverviewQuery)),
    updateQueueSettingsRoute(c.get(UpdateQueueSettingsService)),
  ],
  handlers: [CompleteVisitWhenReservationConfirmed],
  jobs: [AdmitJob, PurgeEndedTokensJob],
  metrics: QueueMetrics,
  onStart: (c) => c.get(RestoreLiveQueueService).run(),
  onStop: (c) => c.get<QueueStore>(QUEUE_STORE).close(),
});
