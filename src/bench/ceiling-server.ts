import 'reflect-metadata';
import { z } from 'zod';
import { AccessTokens } from '../platform/auth/access-token';
import { QueuePasses } from '../platform/auth/queue-pass';
import { systemClock } from '../platform/clock/clock';
import { loadConfig } from '../platform/config/config';
import { createHttpApp } from '../platform/http/create-http-app';
import { defineRoute } from '../platform/http/route';
import { createLogger } from '../platform/logging/logger';
import { Metrics } from '../platform/metrics/metrics';

/**
 * The benchmark's ceiling: the platform's full HTTP stack (correlation id, request log and
 * metrics, security headers, JSON body parsing, JWT check) in front of an endpoint that does no
 * business work. Every scenario is reported as a ratio to this.
 */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const app = createHttpApp(
  {
    config,
    clock: systemClock,
    logger,
    metrics: new Metrics(),
    accessTokens: new AccessTokens(config.jwt, systemClock),
    queuePasses: new QueuePasses(config.queuePass, systemClock),
  },
  [
    {
      moduleName: 'ceiling',
      routes: [
        defineRoute({
          method: 'get',
          path: '/ceiling',
          summary: 'No business work',
          tags: ['bench'],
          access: 'user',
          query: z.object({}).passthrough(),
          responses: { 200: { description: 'ok' } },
          handle: async ({ user }) => ({ status: 200, body: { ok: true, userId: user.id } }),
        }),
      ],
    },
  ],
);
const server = app.listen(config.port, '127.0.0.1', () => process.send?.({ ready: true }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
