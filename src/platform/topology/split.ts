import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { AccessTokens } from '../auth/access-token';
import { systemClock } from '../clock/clock';
import { type AppConfig, ConfigError, MODULE_NAMES, type ModuleName } from '../config/config';
import { provisionSystem } from '../db/postgres/provision';
import { createLogger } from '../logging/logger';
import { freePorts } from './free-port';
import { createGateway } from './gateway';
import { ServiceRegistry } from './service-registry';
import { Supervisor } from './supervisor';

const HEALTH_POLL_MS = 1000;

/**
 * `TOPOLOGY=split`: this process is the gateway on PORT and the supervisor of one process per
 * module (the same `main` with `MODULES=<module>` and a port of its own on 127.0.0.1), except the
 * modules SERVICE_URLS places elsewhere. Every service shares the broker, the token keys and the
 * system's databases; no module's code knows it runs split.
 */
export async function runSplit(config: AppConfig, environment: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const broker = config.bus.broker;
  if (!broker) throw new ConfigError('NATS_URL', 'is required with TOPOLOGY=split: the services exchange their events through NATS JetStream');
  if (config.jwt.generated) throw new ConfigError('JWT_SECRET', 'is required with TOPOLOGY=split: every service must verify the same tokens');
  if (config.tickets.generated)
    throw new ConfigError('TICKET_SECRET', 'is required with TOPOLOGY=split: the service that shows e-tickets and the one that scans them must share the key');
  const logger = createLogger(config.logLevel);
  // One key for every service's passes: generated here when unset, so that passes die with this supervisor, as with a monolith.
  const queuePassSecret = environment.QUEUE_PASS_SECRET || randomBytes(48).toString('base64url');
  if (!environment.QUEUE_PASS_SECRET) logger.warn('QUEUE_PASS_SECRET is not set: the services share a random key, so queue passes die with this supervisor');

  const local = MODULE_NAMES.filter((m) => !config.topology.serviceUrls[m]);
  // Created once here rather than by every service at once.
  if (config.database.kind === 'postgres' && local.length > 0) await provisionSystem(config.database.url, local);
  // One process per module, and QUEUE_REPLICAS of the queue (each its own port and INSTANCE_NAME, `queue-<n>`).
  const replicas = config.topology.queueReplicas;
  const instances = MODULE_NAMES.flatMap(
    (module): Array<{ name: string; module: ModuleName }> =>
      module === 'queue' && replicas > 1 ? Array.from({ length: replicas }, (_, i) => ({ name: `queue-${i + 1}`, module })) : [{ name: module, module }],
  );
  const localInstances = instances.filter((i) => !config.topology.serviceUrls[i.module]);
  const chosen = await freePorts(localInstances.length);
  const ports = new Map(localInstances.map((i, n) => [i.name, chosen[n]]));
  const registry = new ServiceRegistry(
    instances.map(({ name, module }) => ({ name, module, url: config.topology.serviceUrls[module] ?? `http://127.0.0.1:${ports.get(name)}` })),
    logger,
  );
  const script = process.argv[1];
  const supervisor = new Supervisor(
    localInstances.map(({ name, module }) => ({
      name,
      port: ports.get(name)!,
      command: [process.execPath, ...process.execArgv, script],
      env: {
        ...environment,
        TOPOLOGY: undefined,
        QUEUE_REPLICAS: undefined,
        MODULES: module,
        ...(name === module ? {} : { INSTANCE_NAME: name }),
        HOST: '127.0.0.1',
        QUEUE_PASS_SECRET: queuePassSecret,
        BUS_NAMESPACE: broker.namespace,
      },
    })),
    registry,
    logger,
  );
  supervisor.start();
  await registry.start(HEALTH_POLL_MS);

  const app = createGateway({
    registry,
    accessTokens: new AccessTokens({ ...config.jwt }, systemClock),
    logger,
    rateLimitPerMinute: config.topology.gatewayRateLimitPerMinute,
    trustProxy: config.http.trustProxy,
  });
  const server = createServer(app);
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
  logger.info({ port: config.port, services: registry.list().map((s) => ({ name: s.name, url: s.url })) }, 'gateway listening (split topology)');

  return async () => {
    registry.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await supervisor.stop(config.shutdownGraceMs);
  };
}
