import { buildPlatform, loadConfiguration } from './composition-root';
import { type AppConfig, ConfigError } from './platform/config/config';
import { createLogger, type Logger } from './platform/logging/logger';
import { runSplit } from './platform/topology/split';

/** Exit code for a configuration the process refuses to start with (sysexits EX_CONFIG). */
const EX_CONFIG = 78;

/**
 * A service of the split topology ends with its supervisor, however that one ended (its IPC
 * channel closes), and also while it is still starting: then there is nothing to drain and it
 * exits at once; once it serves, `whenSupervisorGone` is its graceful shutdown.
 */
let whenSupervisorGone: () => void = () => process.exit(1);
if (process.env.TICKETING_SUPERVISED === '1') {
  process.on('disconnect', () => whenSupervisorGone());
  // Gone before this process could listen for it.
  if (!process.connected) process.exit(1);
}

async function main(): Promise<void> {
  let platform: Awaited<ReturnType<typeof buildPlatform>>;
  try {
    const configuration = loadConfiguration();
    if (configuration.topology.kind === 'split') return await gatewayAndServices(configuration);
    platform = await buildPlatform(configuration);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(EX_CONFIG);
    }
    throw err;
  }
  const { config, logger: log } = platform;
  if (config.jwt.generated) log.warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');
  if (config.queuePass.generated) log.warn('QUEUE_PASS_SECRET is not set: using a random key, so queue passes die with this process');
  if (config.tickets.generated) log.warn('TICKET_SECRET is not set: using a random key, so e-tickets stop scanning when this process stops');
  const address = await platform.listen();
  log.info({ port: address.port, modules: platform.moduleNames, dataDir: config.dataDir }, 'ticketing platform listening');

  const shutdown = stopOnSignals(log, async (signal) => {
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: readiness is 503, draining requests and deliveries');
    // Whatever hangs past the grace period (a request, a job, a database) does not keep the process alive.
    const forced = setTimeout(() => {
      log.error({ graceMs: config.shutdownGraceMs }, 'shutdown took longer than SHUTDOWN_GRACE_MS: exiting now');
      process.exit(1);
    }, config.shutdownGraceMs + 1000);
    forced.unref();
    await platform.stop();
    log.info('stopped');
  });
  whenSupervisorGone = () => shutdown('supervisor gone');
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
}

/** TOPOLOGY=split: the gateway in this process, one child process per module behind it. */
async function gatewayAndServices(config: AppConfig): Promise<void> {
  const log = createLogger(config.logLevel);
  const stop = await runSplit(config, process.env);
  stopOnSignals(log, async (signal) => {
    log.info({ signal }, 'shutting down the gateway and every service');
    await stop();
  });
}

/**
 * SIGTERM or SIGINT runs `stop` once, then exits (0 when it finished, 1 when it failed); a second
 * signal exits at once: the operator does not want to wait for the drain. Returns the trigger,
 * for other reasons to stop.
 */
function stopOnSignals(log: Logger, stop: (signal: string) => Promise<void>): (reason: string) => void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now, without waiting for in-flight work');
      process.exit(1);
    }
    stopping = true;
    stop(signal)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'unclean shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return shutdown;
}

main().catch((err) => {
  console.error('start-up failed:', err);
  process.exit(1);
});
