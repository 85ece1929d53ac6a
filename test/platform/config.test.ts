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
  ];
  for (const [env, variable] of bad) {
    it(`stops on a bad ${variable} and names it (${JSON.stringify(env)})`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError).with.property('variable', variable);
      expect(() => loadConfig(env)).to.throw(new RegExp(variable));
    });
  }
});
