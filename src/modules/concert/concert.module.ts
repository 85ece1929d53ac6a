import { defineModule } from '../../platform/module/module-definition';
import { createConcertRoute } from './commands/create-concert/create-concert.http.controller';
import { CreateConcertService } from './commands/create-concert/create-concert.service';
import { SeedDemoConcertService } from './commands/seed-demo-concert/seed-demo-concert.service';
import { concertSettings } from './concert.settings';
import { MarkSeatHeldWhenReservationHeld } from './event-handlers/mark-seat-held-when-reservation-held.handler';
import { MarkSeatSoldWhenReservationSucceeded } from './event-handlers/mark-seat-sold-when-reservation-succeeded.handler';
import { ReleaseSeatWhenReservationCancelled } from './event-handlers/release-seat-when-reservation-cancelled.handler';
import { ReleaseSeatWhenReservationExpired } from './event-handlers/release-seat-when-reservation-expired.handler';
import { ConcertMetrics } from './infrastructure/concert.metrics';
import { PurgeReleasedSeatClaimsJob } from './jobs/purge-released-seat-claims.job';
import { getSeatMapForAdminRoute, getSeatMapRoute } from './queries/get-seat-map/get-seat-map.http.controller';
import { GetSeatMapQuery } from './queries/get-seat-map/get-seat-map.query';
import { listConcertsRoute } from './queries/list-concerts/list-concerts.http.controller';
import { ListConcertsQuery } from './queries/list-concerts/list-concerts.query';
import { listSchedulesForAdminRoute, listSchedulesRoute } from './queries/list-schedules/list-schedules.http.controller';
import { ListSchedulesQuery } from './queries/list-schedules/list-schedules.query';

export const concertModule = defineModule({
  name: 'concert',
  settings: concertSettings,
  routes: (c) => [
    createConcertRoute(c.get(CreateConcertService)),
    listConcertsRoute(c.get(ListConcertsQuery)),
    listSchedulesRoute(c.get(ListSchedulesQuery)),
    getSeatMapRoute(c.get(GetSeatMapQuery)),
    listSchedulesForAdminRoute(c.get(ListSchedulesQuery)),
    getSeatMapForAdminRoute(c.get(GetSeatMapQuery)),
  ],
  handlers: [MarkSeatHeldWhenReservationHeld, MarkSeatSoldWhenReservationSucceeded, ReleaseSeatWhenReservationExpired, ReleaseSeatWhenReservationCancelled],
  jobs: [PurgeReleasedSeatClaimsJob],
  metrics: ConcertMetrics,
  onStart: (c) => c.get(SeedDemoConcertService).run(),
});
