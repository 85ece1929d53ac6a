import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { AccessTokens } from '../../src/platform/auth/access-token';
import { systemClock } from '../../src/platform/clock/clock';
import { createLogger } from '../../src/platform/logging/logger';
import { createGateway } from '../../src/platform/topology/gateway';
import { ServiceRegistry } from '../../src/platform/topology/service-registry';

const tokens = new AccessTokens(
  { secret: 'gateway-test-secret-gateway-test-secret', expiresInSeconds: 24 * 3600, issuer: 'ticketing/auth', audience: 'ticketing/api' },
  systemClock,
);
const userToken = tokens.issue({ id: 7, email: 'u@test.local', role: 'USER' });

/** A stand-in service: declares its routes in an OpenAPI document, and records what reaches it. */
function fakeService(): Promise<{
  server: Server;
  url: string;
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; bytes: number }>;
  /** Milliseconds its readiness answer takes (a busy service). */
  readinessDelayMs: { value: number };
}> {
  const readinessDelayMs = { value: 0 };
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; bytes: number }> = [];
  const document = {
    openapi: '3.1.0',
    info: { title: 'things', version: '1' },
    paths: {
      '/things/{id}': { get: { tags: ['things'], security: [{ bearerAuth: [] }] } },
      '/things/new': { post: { tags: ['things'], security: [] } },
      '/health/ready': { get: { tags: ['operations'], security: [] } },
    },
  };
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      if (req.url === '/health/ready') {
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","checks":{}}'), readinessDelayMs.value);
        return;
      }
      if (req.url === '/openapi.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, readinessDelayMs })),
  );
}

describe('gateway (split topology edge), against a stand-in service', () => {
  let service: Awaited<ReturnType<typeof fakeService>>;
  let registry: ServiceRegistry;
  const gateway = (rateLimitPerMinute = 1000) =>
    createGateway({ registry, accessTokens: tokens, logger: createLogger('silent'), rateLimitPerMinute, trustProxy: ['loopback'] });

  beforeEach(async () => {
    service = await fakeService();
    registry = new ServiceRegistry([{ name: 'things', url: service.url }], createLogger('silent'));
    await registry.pollAll();
  });
  afterEach(() => {
    registry.stop();
    service.server.close();
  });

  it('routes only what the service declares (method and path template), and passes correlation and forwarding headers on', async () => {
    const res = await request(gateway()).get('/things/42').set('Authorization', `Bearer ${userToken}`).set('X-Correlation-Id', 'trace-123');
    expect(res.status).to.equal(200);
    expect(service.seen).to.have.length(1);
    expect(service.seen[0].url).to.equal('/things/42');
    expect(service.seen[0].headers['x-correlation-id']).to.equal('trace-123');
    expect(service.seen[0].headers['x-forwarded-for']).to.match(/127\.0\.0\.1/);
    expect(res.headers['x-correlation-id']).to.equal('trace-123');
    // The service does not declare this one: nothing is forwarded.
    expect((await request(gateway()).get('/elsewhere')).status).to.equal(404);
    expect((await request(gateway()).delete('/things/42').set('Authorization', `Bearer ${userToken}`)).status).to.equal(404);
    expect(service.seen).to.have.length(1);
  });

  it('answers 503, not 404, for a path it cannot place while a service has not told it its routes (right after a restart)', async () => {
    const later = await fakeService();
    const fresh = new ServiceRegistry(
      [
        { name: 'things', url: service.url },
        { name: 'late', url: 'http://127.0.0.1:9' },
      ],
      createLogger('silent'),
    );
    try {
      await fresh.pollAll();
      const app = createGateway({ registry: fresh, accessTokens: tokens, logger: createLogger('silent'), rateLimitPerMinute: 1000, trustProxy: ['loopback'] });
      // Known routes are served meanwhile.
      expect((await request(app).get('/things/42').set('Authorization', `Bearer ${userToken}`)).status).to.equal(200);
      const unplaced = await request(app).get('/elsewhere');
      expect(unplaced.status).to.equal(503);
      expect(unplaced.body).to.include({ code: 'SERVICE_UNAVAILABLE', service: 'late' });
      expect(unplaced.headers['retry-after']).to.equal('1');
      // Once every module has said what it serves, an unknown path is a 404.
      const known = new ServiceRegistry(
        [
          { name: 'things', url: service.url },
          { name: 'late', url: later.url },
        ],
        createLogger('silent'),
      );
      await known.pollAll();
      const app2 = createGateway({ registry: known, accessTokens: tokens, logger: createLogger('silent'), rateLimitPerMinute: 1000, trustProxy: ['loopback'] });
      expect((await request(app2).get('/elsewhere')).status).to.equal(404);
      known.stop();
    } finally {
      fresh.stop();
      later.server.close();
    }
  });

  it('answers 401 itself for a protected route without a valid token, and forwards nothing', async () => {
    for (const auth of [undefined, 'Bearer not.a.token', `Bearer ${userToken}x`, 'Basic dXNlcjpwYXNz']) {
      const req = request(gateway()).get('/things/1');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect(res.status, String(auth)).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
    expect(service.seen).to.have.length(0);
  });

  it('streams a body through without parsing it', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'x');
    const res = await request(gateway()).post('/things/new').set('content-type', 'application/octet-stream').send(body);
    expect(res.status).to.equal(200);
    expect(res.body.bytes).to.equal(body.length);
  });

  it('answers 503 SERVICE_UNAVAILABLE naming a service that is down, at once', async () => {
    await new Promise<void>((resolve) => service.server.close(() => resolve()));
    service.server.closeAllConnections();
    // Before the health poll notices: the forwarding fails and the gateway says so.
    const first = await request(gateway()).post('/things/new').send({});
    expect(first.status).to.equal(503);
    expect(first.body).to.include({ code: 'SERVICE_UNAVAILABLE', service: 'things' });
    // After it: answered without trying.
    await registry.pollAll();
    expect(registry.get('things')?.status).to.equal('down');
    const started = Date.now();
    const second = await request(gateway()).post('/things/new').send({});
    expect(second.status).to.equal(503);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('keeps a service whose readiness check times out in service while it answers what is forwarded to it; takes it out once it answers nothing', async () => {
    const app = gateway();
    service.readinessDelayMs.value = 1_500;
    // Busy: the check times out, but requests keep being answered meanwhile.
    let traffic = true;
    const answered: number[] = [];
    const load = (async () => {
      while (traffic) answered.push((await request(app).post('/things/new').send({})).status);
    })();
    await registry.pollAll();
    traffic = false;
    await load;
    expect(answered.length).to.be.greaterThan(0);
    expect(answered.every((s) => s === 200)).to.equal(true);
    expect(registry.get('things')?.status).to.equal('up');
    // Hung: nothing forwarded is answered while the check times out.
    await registry.pollAll();
    expect(registry.get('things')?.status).to.equal('down');
  });

  it('limits each client address, with 429 and Retry-After', async () => {
    const app = gateway(3);
    for (let i = 0; i < 3; i += 1) expect((await request(app).post('/things/new').send({})).status).to.equal(200);
    const limited = await request(app).post('/things/new').send({});
    expect(limited.status).to.equal(429);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
  });
});

describe('gateway: replicas of one module (QUEUE_REPLICAS)', () => {
  let replicas: Array<Awaited<ReturnType<typeof fakeService>>>;
  let registry: ServiceRegistry;

  beforeEach(async () => {
    replicas = [await fakeService(), await fakeService()];
    registry = new ServiceRegistry(
      replicas.map((r, i) => ({ name: `things-${i + 1}`, module: 'things', url: r.url })),
      createLogger('silent'),
    );
    await registry.pollAll();
  });
  afterEach(() => {
    registry.stop();
    for (const r of replicas) r.server.close();
  });

  it('balances a module’s routes across its healthy replicas in turn, and sends everything to the one left when the other is down', async () => {
    const app = createGateway({ registry, accessTokens: tokens, logger: createLogger('silent'), rateLimitPerMinute: 1000, trustProxy: ['loopback'] });
    for (let i = 0; i < 10; i++) expect((await request(app).post('/things/new').send({})).status).to.equal(200);
    expect(replicas.map((r) => r.seen.length)).to.deep.equal([5, 5]);

    replicas[0].server.close();
    replicas[0].server.closeAllConnections();
    await registry.pollAll();
    expect(registry.get('things-1')?.status).to.equal('down');
    for (let i = 0; i < 6; i++) expect((await request(app).post('/things/new').send({})).status).to.equal(200);
    expect(replicas.map((r) => r.seen.length)).to.deep.equal([5, 11]);
    // One replica of a module down is a lost replica, not an outage: the gateway stays ready.
    expect((await request(app).get('/health/ready')).status).to.equal(200);
  });
});
