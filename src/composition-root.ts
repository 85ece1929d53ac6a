import type { DestinationStream } from 'pino';
import { authModule } from './modules/auth/auth.module';
import { concertModule } from './modules/concert/concert.module';
import { dataPlatformModule } from './modules/data-platform/data-platform.module';
import { paymentModule } from './modules/payment/payment.module';
import { queueModule } from './modules/queue/queue.module';
import { reservationModule } from './modules/reservation/reservation.module';
import type { EventTransport } from './platform/bus/transport';
import type { Clock } from './platform/clock/clock';
import type { AppConfig } from './platform/config/config';
import type { ModuleDefinition } from './platform/module/module-definition';
import { Platform } from './platform/platform';

/** The only place that knows the list of modules. `MODULES` picks which of them this process runs. */
export const ALL_MODULES = [authModule, queueModule, concertModule, reservationModule, paymentModule, dataPlatformModule];

export function buildPlatform(
  config: AppConfig,
  options: { clock?: Clock; transport?: EventTransport; logDestination?: DestinationStream; modules?: ModuleDefinition[]; allowPartialModuleSet?: boolean } = {},
): Promise<Platform> {
  return Platform.create({ config, modules: ALL_MODULES, ...options });
}
