import type { ModuleDatabase } from '../../platform/db/module-database';
import { defineModule } from '../../platform/module/module-definition';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { QueueRecordsForSinkService } from './commands/queue-records-for-sink/queue-records-for-sink.service';
import { dataPlatformSettings } from './data-platform.settings';
import { CopyCatalogueWhenSchedulePublished } from './event-handlers/copy-catalogue-when-schedule-published.handler';
import { MarkRecordCancelledWhenReservationCancelled } from './event-handlers/mark-record-cancelled-when-reservation-cancelled.handler';
import { StoreRecordWhenReservationConfirmed } from './event-handlers/store-record-when-reservation-confirmed.handler';
import { DataPlatformMetrics } from './infrastructure/data-platform.metrics';
import { DeliverRecordsJob } from './jobs/deliver-records.job';
import { listReservationsRoute } from './queries/list-reservations/list-reservations.http.controller';
import { ListReservationsQuery } from './queries/list-reservations/list-reservations.query';

export const dataPlatformModule = defineModule({
  name: 'data-platform',
  settings: dataPlatformSettings,
  routes: (c) => [listReservationsRoute(c.get(ListReservationsQuery))],
  handlers: [CopyCatalogueWhenSchedulePublished, StoreRecordWhenReservationConfirmed, MarkRecordCancelledWhenReservationCancelled],
  jobs: [DeliverRecordsJob],
  metrics: DataPlatformMetrics,
  async onStart(c) {
    // Besides its schedule, a delivery pass is kicked by the commit that stored a new record.
    const deliveries = c.get(DeliverRecordsJob);
    c.get<ModuleDatabase>(PLATFORM.Database).onCommit(() => deliveries.afterCommit());
    await c.get(QueueRecordsForSinkService).run();
  },
});
