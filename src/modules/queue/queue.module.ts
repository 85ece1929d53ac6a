import type { Container } from 'inversify';
import { subscribe } from '../../platform/bus/subscription';
import { defineModule } from '../../platform/module/module-definition';
import { leaveQueueRoute } from './commands/leave-queue/leave-queue.http.controller';
import { takeTokenRoute } from './commands/take-token/take-token.http.controller';
import { updateQueueSettingsRoute } from './commands/update-queue-settings/update-queue-settings.http.controller';
import { OnReservationSucceeded } from './event-handlers/on-reservation-succeeded.handler';
import { queueJobs } from './jobs/queue.jobs';
import { getQueueOverviewRoute } from './queries/get-queue-overview/get-queue-overview.http.controller';
import { getStatusRoute } from './queries/get-status/get-status.http.controller';
import { QUEUE } from './queue.di-tokens';
import { QueueEngine } from './queue-engine';
import { QueueRepository } from './queue.repository';

export const queueModule = defineModule({
  name: 'queue',
  bind(c: Container) {
    c.bind(QUEUE.Repository).to(QueueRepository);
    c.bind(QUEUE.Engine).to(QueueEngine);
    c.bind(QUEUE.OnReservationSucceeded).to(OnReservationSucceeded);
  },
  routes: (c) => {
    const engine = c.get<QueueEngine>(QUEUE.Engine);
    return [takeTokenRoute(engine), getStatusRoute(engine), leaveQueueRoute(engine), getQueueOverviewRoute(engine), updateQueueSettingsRoute(engine)];
  },
  subscriptions: (c) => [subscribe('reservation.success', 'complete-token-on-reservation', c.get<OnReservationSucceeded>(QUEUE.OnReservationSucceeded))],
  legacyJobs: (c) => queueJobs(c.get<QueueEngine>(QUEUE.Engine)),
  onStart: (c) => c.get<QueueEngine>(QUEUE.Engine).start(),
});
