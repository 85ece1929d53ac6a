import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/platform/config/config';

describe('configuration', () => {
  it('has a sensible default for everything', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.holdTtlSeconds).to.equal(300);
    expect(config.modules).to.have.length(6);
    expect(config.seedDemo).to.equal(true);
    expect(config.jwt.generated).to.equal(true);
    expect(config.jwt.secret).to.have.length.greaterThan(31);
    expect(config.queuePass.secret).to.not.equal(config.jwt.secret);
    expect(config.admin).to.equal(undefined);
    expect(config.http).to.deep.include({ trustProxy: ['loopback'], corsOrigins: [] });
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

  it('reads CORS_ORIGINS as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://tickets.example.com, http://localhost:5173/' }).http.corsOrigins).to.deep.equal(['https://tickets.example.com', 'http://localhost:5173']);
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
  ];
  for (const [env, variable] of bad) {
    it(`stops on a bad ${variable} and names it (${JSON.stringify(env)})`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError).with.property('variable', variable);
      expect(() => loadConfig(env)).to.throw(new RegExp(variable));
    });
  }
});
