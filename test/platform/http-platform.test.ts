import { expect } from 'chai';
import { buildPlatform } from '../../src/composition-root';
import { ConfigError, loadConfig } from '../../src/platform/config/config';
import { createTestApp, signupAndLogin, TEST_ENV, type TestApp } from '../support/test-app';

describe('HTTP platform', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  after(async () => app.stop());

  it('answers an unknown route with a 404 problem', async () => {
    const res = await app.http.get('/no/such/route');
    expect(res.status).to.equal(404);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body).to.include({ status: 404, code: 'NOT_FOUND', type: '/problems/not-found' });
    expect(res.body.correlationId).to.equal(res.headers['x-correlation-id']);
  });

  it('echoes a sane x-correlation-id and replaces an unsafe one', async () => {
    const echoed = await app.http.get('/health/live').set('x-correlation-id', 'abc-123');
    expect(echoed.headers['x-correlation-id']).to.equal('abc-123');
    const replaced = await app.http.get('/health/live').set('x-correlation-id', 'bad id\twith spaces');
    expect(replaced.headers['x-correlation-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('refuses an oversized body with 413 and malformed JSON with 400, as problems', async () => {
    const big = await app.http.post('/auth/signup').send({ email: 'a@example.com', password: 'x'.repeat(4000), name: 'A' });
    expect(big.status).to.equal(413);
    expect(big.body.code).to.equal('PAYLOAD_TOO_LARGE');
    const malformed = await app.http.post('/auth/login').set('content-type', 'application/json').send('{nope');
    expect(malformed.status).to.equal(400);
    expect(malformed.body).to.include({ code: 'VALIDATION_FAILED' });
    expect(malformed.body.errors).to.deep.equal([{ field: 'body', message: 'Malformed JSON' }]);
  });

  it('checks authentication before input: a bad body without a token is a 401', async () => {
    const res = await app.http.get('/auth/me').set('content-type', 'application/json').send('{nope');
    expect(res.status).to.equal(401);
  });

  it('sends security headers', async () => {
    const res = await app.http.get('/health/live');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
    expect(res.headers).to.not.have.property('x-powered-by');
  });

  it('reports readiness of every module database and the relay', async () => {
    const res = await app.http.get('/health/ready');
    expect(res.status).to.equal(200);
    expect(res.body.checks).to.include({ auth: 'ok', queue: 'ok', concert: 'ok', reservation: 'ok', payment: 'ok', 'data-platform': 'ok', relay: 'ok' });
  });

  it('answers 503 on readiness when the relay is stopped', async () => {
    const stopped = await createTestApp({ start: false });
    try {
      const res = await stopped.http.get('/health/ready');
      expect(res.status).to.equal(503);
      expect(res.body.checks.relay).to.equal('stopped');
    } finally {
      await stopped.stop();
    }
  });

  it('lets a valid token through and keeps the user id on the request', async () => {
    const user = await signupAndLogin(app.http);
    const res = await app.http.get('/auth/me').set(user.auth);
    expect(res.status).to.equal(200);
    expect(res.body.id).to.equal(user.id);
  });
});

describe('selecting modules', () => {
  it('refuses to start a subset of the modules on the in-process bus, naming MODULES', async () => {
    // Events for the subscribers of the modules left out would be marked delivered and lost.
    const config = loadConfig({ ...TEST_ENV, MODULES: 'payment' });
    let refused: unknown = null;
    await buildPlatform(config).then(
      (p) => p.stop(),
      (err: unknown) => (refused = err),
    );
    expect(refused).to.be.instanceOf(ConfigError);
    expect((refused as ConfigError).variable).to.equal('MODULES');
    expect(String((refused as Error).message)).to.match(/lost/);
  });

  it('runs only the modules named in MODULES and routes nothing of the others', async () => {
    const app = await createTestApp({ env: { MODULES: 'auth' } });
    try {
      expect(app.platform.moduleNames).to.deep.equal(['auth']);
      const ready = await app.http.get('/health/ready');
      expect(Object.keys(ready.body.checks).sort()).to.deep.equal(['auth', 'relay']);
      expect((await app.http.get('/balance')).status).to.equal(404);
    } finally {
      await app.stop();
    }
  });
});
