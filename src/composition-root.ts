import type { DestinationStream } from 'pino';
import { authModule } from './modules/auth/auth.module';
import { concertModule } from './modules/concert/concert.module';
import { dataPlatformModule } from './modules/data-platform/data-platform.module';
import { notificationModule } from './modules/notification/notification.module';
import { paymentModule } from './modules/payment/payment.module';
import { queueModule } from './modules/queue/queue.module';
import { reservationModule } from './modules/reservation/reservation.module';
import type { EventTransport } from './platform/bus/transport';
import type { Clock } from './platform/clock/clock';
import { type AppConfig, loadConfig } from './platform/config/config';
import type { ModuleDefinition } from './platform/module/module-definition';
import { Platform } from './platform/platform';

/** The only place that knows the list of modules. `MODULES` picks which of them this process runs. */
export const ALL_MODULES = [authModule, queueModule, concertModule, reservationModule, paymentModule, dataPlatformModule, notificationModule];

/**
 * The whole configuration: the platform's settings and every module's own, so that a bad value
 * of any variable stops start-up with its name, whichever modules this process runs.
 */
export function loadConfiguration(env: Record<string, string | undefined> = process.env): AppConfig {
  const config = loadConfig(env);
  for (const m of ALL_MODULES) m.settings?.read(config.environment);
  return config;
}

export function buildPlatform(
  config: AppConfig,
  options: {
    clock?: Clock;
    transport?: EventTransport;
    logDestination?: DestinationStream;
    modules?: ModuleDefinition[];
    allowPartialModuleSet?: boolean;
  } = {},
): Promise<Platform> {
  return Platform.create({ config, modules: ALL_MODULES, ...options });
}
