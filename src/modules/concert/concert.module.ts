import type { Container } from 'inversify';
import { subscribe } from '../../platform/bus/subscription';
import { defineModule } from '../../platform/module/module-definition';
import { CatalogueRepository } from './catalogue.repository';
import { createConcertRoute } from './commands/create-concert/create-concert.http.controller';
import { CreateConcertService } from './commands/create-concert/create-concert.service';
import { CONCERT } from './concert.di-tokens';
import { SeatMapProjection } from './event-handlers/seat-map.projection';
import { SeatMetrics } from './metrics/seat-metrics';
import { seatMapRoute } from './queries/get-seat-map/seat-map.http.controller';
import { SeatMapQuery } from './queries/get-seat-map/seat-map.query';
import { listConcertsRoute } from './queries/list-concerts/list-concerts.http.controller';
import { ListConcertsQuery } from './queries/list-concerts/list-concerts.query';
import { listSchedulesRoute } from './queries/list-schedules/list-schedules.http.controller';
import { ListSchedulesQuery } from './queries/list-schedules/list-schedules.query';
import { SeedDemoConcert } from './start-up/seed-demo-concert';

export const concertModule = defineModule({
  name: 'concert',
  bind(c: Container) {
    c.bind(CONCERT.CatalogueRepository).to(CatalogueRepository);
    c.bind(CONCERT.CreateConcertService).to(CreateConcertService);
    c.bind(CONCERT.ListConcertsQuery).to(ListConcertsQuery);
    c.bind(CONCERT.ListSchedulesQuery).to(ListSchedulesQuery);
    c.bind(CONCERT.SeatMapQuery).to(SeatMapQuery);
    c.bind(CONCERT.SeatMapProjection).to(SeatMapProjection);
    c.bind(CONCERT.SeedDemoConcert).to(SeedDemoConcert);
    c.bind(CONCERT.SeatMetrics).to(SeatMetrics);
  },
  routes: (c) => [
    createConcertRoute(c.get(CONCERT.CreateConcertService)),
    listConcertsRoute(c.get(CONCERT.ListConcertsQuery)),
    listSchedulesRoute(c.get(CONCERT.ListSchedulesQuery)),
    seatMapRoute(c.get(CONCERT.SeatMapQuery)),
  ],
  subscriptions: (c) => {
    const seatMap = c.get<SeatMapProjection>(CONCERT.SeatMapProjection);
    return [
      subscribe('reservation.held', 'seat-map-on-held', seatMap.handler('held')),
      subscribe('reservation.success', 'seat-map-on-success', seatMap.handler('sold')),
      subscribe('reservation.expired', 'seat-map-on-expired', seatMap.handler('expired')),
      subscribe('reservation.cancelled', 'seat-map-on-cancelled', seatMap.handler('cancelled')),
    ];
  },
  legacyJobs: (c) => [
    { name: 'purge-released-seat-claims', intervalMs: 3600_000, run: async () => void (await c.get<SeatMapProjection>(CONCERT.SeatMapProjection).purgeReleasedClaims()) },
  ],
  onStart: async (c) => {
    c.get<SeatMetrics>(CONCERT.SeatMetrics).register();
    await c.get<SeedDemoConcert>(CONCERT.SeedDemoConcert).run();
  },
});
