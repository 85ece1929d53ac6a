import { expect } from 'chai';
import { ALL_MODULES, loadConfiguration } from '../../src/composition-root';
import { ConfigError, loadConfig } from '../../src/platform/config/config';

describe('configuration', () => {
  it('has a sensible default for everything', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.modules).to.have.length(7);
    expect(config.jwt.generated).to.equal(true);
    expect(config.jwt.secret).to.have.length.greaterThan(31);
    expect(config.queuePass.secret).to.not.equal(config.jwt.secret);
    expect(config.http).to.deep.include({ trustProxy: ['loopback'], corsOrigins: [] });
  });

  it('gives every module its own settings, with their defaults, and nothing of the platform', () => {
    const settings = Object.fromEntries(ALL_MODULES.map((m) => [m.name, m.settings?.read({})]));
    expect(settings.reservation).to.deep.include({ holdTtlSeconds: 300, maxHoldsPerUser: 4 });
    expect(settings.concert).to.deep.equal({ seedDemo: true });
    expect(settings.auth).to.deep.equal({ bcryptRounds: 10, admin: undefined });
    expect(settings.queue).to.deep.equal({
      maxActive: 1000,
      admitPerSecond: 100,
      activeTtlSeconds: 600,
      waitingIdleSeconds: 120,
      pollThrottle: true,
      maxRoomsPerUser: 3,
      store: { kind: 'memory' },
    });
    expect(settings.payment).to.deep.equal({ paymentGateway: undefined, holdWaitMs: 2000 });
    expect(settings['data-platform']).to.deep.include({ sinkUrl: null });
    // A module reads only the variables it declares: secrets and other modules' settings never reach it.
    const withSecrets = ALL_MODULES.map((m) =>
      JSON.stringify(m.settings?.read({ JWT_SECRET: 's'.repeat(40), QUEUE_PASS_SECRET: 'p'.repeat(40), HOLD_TTL_SECONDS: '4321' }) ?? {}),
    );
    for (const text of withSecrets) expect(text).to.not.match(/sss|ppp/);
    expect(withSecrets.filter((t) => t.includes('4321'))).to.have.length(1);
  });

  it('keeps the queue on Redis only when asked (QUEUE_STORE=redis), under the system’s namespace; several queue replicas need split, PostgreSQL and Redis', () => {
    const queue = ALL_MODULES.find((m) => m.name === 'queue')!.settings!;
    expect(queue.read({ QUEUE_STORE: 'redis', BUS_NAMESPACE: 'shop' })).to.deep.include({
      store: { kind: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'shop:{queue}:' },
    });
    expect(() => queue.read({ QUEUE_STORE: 'disk' })).to.throw(ConfigError, /QUEUE_STORE/);
    expect(queue.read({ QUEUE_MAX_ROOMS_PER_USER: '5' })).to.deep.include({ maxRoomsPerUser: 5 });
    expect(() => queue.read({ QUEUE_MAX_ROOMS_PER_USER: '0' })).to.throw(ConfigError, /QUEUE_MAX_ROOMS_PER_USER/);
    expect(() => queue.read({ QUEUE_STORE: 'redis', REDIS_URL: 'http://x' })).to.throw(ConfigError, /REDIS_URL/);
    const pg = 'postgres://u@127.0.0.1:5432/shop';
    expect(loadConfig({ TOPOLOGY: 'split', QUEUE_REPLICAS: '3', DATABASE_URL: pg, QUEUE_STORE: 'redis' }).topology.queueReplicas).to.equal(3);
    expect(loadConfig({}).topology.queueReplicas).to.equal(1);
    for (const [env, why] of [
      [{ QUEUE_REPLICAS: '2', DATABASE_URL: pg, QUEUE_STORE: 'redis' }, /TOPOLOGY=split/],
      [{ TOPOLOGY: 'split', QUEUE_REPLICAS: '2', QUEUE_STORE: 'redis' }, /PostgreSQL/],
      [{ TOPOLOGY: 'split', QUEUE_REPLICAS: '2', DATABASE_URL: pg }, /QUEUE_STORE=redis/],
      [{ TOPOLOGY: 'split', QUEUE_REPLICAS: '2', DATABASE_URL: pg, QUEUE_STORE: 'memory' }, /QUEUE_STORE=redis/],
      [{ QUEUE_REPLICAS: '0' }, /QUEUE_REPLICAS/],
    ] as const)
      expect(() => loadConfig(env), JSON.stringify(env)).to.throw(ConfigError, why);
  });

  it('never derives the queue-pass key from the login secret', () => {
    // Whoever holds JWT_SECRET must not be able to mint passes: without QUEUE_PASS_SECRET the key is random.
    const a = loadConfig({ JWT_SECRET: 'x'.repeat(40) });
    const b = loadConfig({ JWT_SECRET: 'x'.repeat(40) });
    expect(a.queuePass.generated).to.equal(true);
    expect(a.queuePass.secret).to.not.equal(b.queuePass.secret);
    expect(a.queuePass.secret).to.have.length.greaterThan(31);
    const set = loadConfig({ JWT_SECRET: 'x'.repeat(40), QUEUE_PASS_SECRET: 'p'.repeat(40) });
    expect(set.queuePass).to.include({ secret: 'p'.repeat(40), generated: false });
  });

  it('reads TRUST_PROXY as Express does: false, true, a hop count, or addresses and subnets', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).to.equal(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,loopback' }).http.trustProxy).to.deep.equal(['10.0.0.0/8', '192.0.2.7', 'loopback']);
  });

  it('takes the bus through NATS JetStream only with NATS_URL, in a namespace of the system’s own by default', () => {
    expect(loadConfig({}).bus.broker).to.equal(null);
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://u@db:5432/tickets' }).bus.broker).to.deep.equal({
      url: 'nats://127.0.0.1:4222',
      namespace: 'ticketing_tickets',
    });
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222', DATA_DIR: '/srv/box-1/data.v2' }).bus.broker?.namespace).to.equal('ticketing_data_v2');
    expect(loadConfig({ NATS_URL: 'nats://a:4222', BUS_NAMESPACE: 'staging-2' }).bus.broker?.namespace).to.equal('staging-2');
  });

  it('reads CORS_ORIGINS as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://tickets.example.com, http://localhost:5173/' }).http.corsOrigins).to.deep.equal([
      'https://tickets.example.com',
      'http://localhost:5173',
    ]);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOLD_TTL_SECONDS: '-5' }, 'HOLD_TTL_SECONDS'],
    [{ MAX_HOLDS_PER_USER: '1.5' }, 'MAX_HOLDS_PER_USER'],
    [{ QUEUE_MAX_ACTIVE: '0' }, 'QUEUE_MAX_ACTIVE'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ SEED_DEMO: 'maybe' }, 'SEED_DEMO'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PAYMENT_GATEWAY_URL: 'not a url' }, 'PAYMENT_GATEWAY_URL'],
    [{ DATA_PLATFORM_URL: 'ftp://x' }, 'DATA_PLATFORM_URL'],
    [{ BCRYPT_ROUNDS: '40' }, 'BCRYPT_ROUNDS'],
    [{ MODULES: 'auth,billing' }, 'MODULES'],
    [{ ADMIN_EMAIL: 'admin@example.com' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_PASSWORD: 'password-1' }, 'ADMIN_EMAIL'],
    [{ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'password-1' }, 'ADMIN_EMAIL'],
    [{ TRUST_PROXY: 'proxy.example.com' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '1000' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: ',' }, 'TRUST_PROXY'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://tickets.example.com/app' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'tickets.example.com' }, 'CORS_ORIGINS'],
    [{ REQUEST_TIMEOUT_MS: '10' }, 'REQUEST_TIMEOUT_MS'],
    [{ QUEUE_PASS_SECRET: 'short' }, 'QUEUE_PASS_SECRET'],
    [{ NATS_URL: 'http://127.0.0.1:4222' }, 'NATS_URL'],
    [{ NATS_URL: 'nats://127.0.0.1:4222', BUS_NAMESPACE: 'has.dots' }, 'BUS_NAMESPACE'],
    [{ NATS_URL: 'nats://127.0.0.1:4222', BUS_NAMESPACE: 'x'.repeat(65) }, 'BUS_NAMESPACE'],
  ];
  for (const [env, variable] of bad) {
    it(`stops on a bad ${variable} and names it (${JSON.stringify(env)})`, () => {
      // The platform's variables and every module's own: the whole configuration, as the process reads it.
      expect(() => loadConfiguration(env))
        .to.throw(ConfigError)
        .with.property('variable', variable);
      expect(() => loadConfiguration(env)).to.throw(new RegExp(variable));
    });
  }
});
