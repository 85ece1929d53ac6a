import { buildPlatform } from './composition-root';
import { ConfigError, loadConfig } from './platform/config/config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const platform = await buildPlatform(config);
  const log = platform.logger;
  if (config.jwt.generated) log.warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');
  if (config.queuePass.generated) log.warn('QUEUE_PASS_SECRET is not set: using a random key, so queue passes die with this process');
  const address = await platform.listen();
  log.info({ port: address.port, modules: platform.moduleNames, dataDir: config.dataDir }, 'ticketing platform listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests and deliveries');
    platform
      .stop()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err: String(err) }, 'unclean shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
}

main().catch((err) => {
  console.error('start-up failed:', err);
  process.exit(1);
});
