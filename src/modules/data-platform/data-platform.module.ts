import type { Container } from 'inversify';
import { subscribe } from '../../platform/bus/subscription';
import type { Clock } from '../../platform/clock/clock';
import type { ModuleDatabase } from '../../platform/db/module-database';
import type { Logger } from '../../platform/logging/logger';
import { defineModule } from '../../platform/module/module-definition';
import { PLATFORM } from '../../platform/platform.di-tokens';
import { DATA_PLATFORM } from './data-platform.di-tokens';
import { DataPlatformMetrics } from './data-platform.metrics';
import { defaultDataPlatformOptions, type DataPlatformOptions } from './data-platform.options';
import { OnReservationCancelled } from './event-handlers/on-reservation-cancelled.handler';
import { OnReservationConfirmed } from './event-handlers/on-reservation-confirmed.handler';
import { OnSchedulePublished } from './event-handlers/on-schedule-published.handler';
import { RecordDeliverer } from './jobs/deliver-records.job';
import { listReservationsRoute } from './queries/list-reservations/list-reservations.http.controller';
import { ListReservationsQuery } from './queries/list-reservations/list-reservations.query';
import { ReservationRecords } from './reservation-records.repository';
import { ScheduleCatalogue } from './schedule-catalogue.repository';
import { SinkBreaker } from './sink/sink-breaker';
import { SinkClient } from './sink/sink-client';

export const dataPlatformModule = defineModule({
  name: 'data-platform',
  bind(c: Container) {
    c.bind(DATA_PLATFORM.Options).toConstantValue(defaultDataPlatformOptions);
    c.bind(DATA_PLATFORM.Records).to(ReservationRecords);
    c.bind(DATA_PLATFORM.Catalogue).to(ScheduleCatalogue);
    c.bind(DATA_PLATFORM.SinkClient).to(SinkClient);
    c.bind(DATA_PLATFORM.SinkBreaker).to(SinkBreaker);
    c.bind(DATA_PLATFORM.Metrics).to(DataPlatformMetrics);
    c.bind(DATA_PLATFORM.Deliverer).to(RecordDeliverer);
    c.bind(DATA_PLATFORM.OnSchedulePublished).to(OnSchedulePublished);
    c.bind(DATA_PLATFORM.OnReservationConfirmed).to(OnReservationConfirmed);
    c.bind(DATA_PLATFORM.OnReservationCancelled).to(OnReservationCancelled);
    c.bind(DATA_PLATFORM.ListReservationsQuery).to(ListReservationsQuery);
  },
  routes: (c) => [listReservationsRoute(c.get(DATA_PLATFORM.ListReservationsQuery))],
  subscriptions: (c) => [
    subscribe('concert.schedule.published', 'catalogue-copy', c.get(DATA_PLATFORM.OnSchedulePublished)),
    subscribe('reservation.success', 'store-confirmed-reservation', c.get(DATA_PLATFORM.OnReservationConfirmed)),
    subscribe('reservation.cancelled', 'mark-reservation-cancelled', c.get(DATA_PLATFORM.OnReservationCancelled)),
  ],
  legacyJobs: (c) => [
    {
      name: 'deliver-records',
      intervalMs: c.get<DataPlatformOptions>(DATA_PLATFORM.Options).deliveryIntervalMs,
      run: () => c.get<RecordDeliverer>(DATA_PLATFORM.Deliverer).run(),
    },
  ],
  async onStart(c) {
    c.get<DataPlatformMetrics>(DATA_PLATFORM.Metrics);
    const deliverer = c.get<RecordDeliverer>(DATA_PLATFORM.Deliverer);
    c.get<ModuleDatabase>(PLATFORM.Database).onCommit(() => deliverer.afterCommit());
    if (deliverer.enabled) {
      // Records stored while no sink was configured are sent now that there is one.
      const queued = await c.get<ReservationRecords>(DATA_PLATFORM.Records).queueUndelivered(c.get<Clock>(PLATFORM.Clock).now());
      if (queued > 0) c.get<Logger>(PLATFORM.Logger).info({ queued }, 'data-platform: records stored without a sink are queued for DATA_PLATFORM_URL');
    }
  },
});
