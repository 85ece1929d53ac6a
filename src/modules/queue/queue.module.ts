import { defineModule } from '../../platform/module/module-definition';
import { leaveQueueRoute } from './commands/leave-queue/leave-queue.http.controller';
import { LeaveQueueService } from './commands/leave-queue/leave-queue.service';
import { RestoreLiveQueueService } from './commands/restore-live-queue/restore-live-queue.service';
import { takeTokenRoute } from './commands/take-token/take-token.http.controller';
import { TakeTokenService } from './commands/take-token/take-token.service';
import { updateQueueSettingsRoute } from './commands/update-queue-settings/update-queue-settings.http.controller';
import { UpdateQueueSettingsService } from './commands/update-queue-settings/update-queue-settings.service';
import { CompleteVisitWhenReservationConfirmed } from './event-handlers/complete-visit-when-reservation-confirmed.handler';
import { QueueMetrics } from './infrastructure/queue.metrics';
import { AdmitJob } from './jobs/admit.job';
import { PurgeEndedTokensJob } from './jobs/purge-ended-tokens.job';
import { getQueueOverviewRoute } from './queries/get-queue-overview/get-queue-overview.http.controller';
import { GetQueueOverviewQuery } from './queries/get-queue-overview/get-queue-overview.query';
import { getStatusRoute } from './queries/get-status/get-status.http.controller';
import { GetStatusQuery } from './queries/get-status/get-status.query';
import { queueSettings } from './queue.settings';

export const queueModule = defineModule({
  name: 'queue',
  settings: queueSettings,
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
});
