import { expect } from 'chai';
import { createTestApp, signupAndLogin, type TestApp } from '../support/test-app';

/** The test client connects from 127.0.0.1: that address is "the proxy" whose X-Forwarded-For may or may not be believed. */
async function loginStatuses(trustProxy: string, forwardedFor: (attempt: number) => string | undefined, attempts = 5): Promise<number[]> {
  const app = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: trustProxy } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < attempts; i += 1) {
      const req = app.http.post('/auth/login').send({ email: 'x@example.com', password: 'whatever-1' });
      const xff = forwardedFor(i);
      if (xff !== undefined) req.set('X-Forwarded-For', xff);
      statuses.push((await req).status);
    }
    return statuses;
  } finally {
    await app.stop();
  }
}

describe('TRUST_PROXY: per-address limits count the real client', () => {
  const forged = (i: number) => `203.0.113.${i + 1}`;

  it('with false, a forged X-Forwarded-For does not evade the login limit', async () => {
    expect(await loginStatuses('false', forged)).to.deep.equal([401, 401, 401, 429, 429]);
  });

  it('with a proxy list that does not include the peer, its X-Forwarded-For is not believed either', async () => {
    expect(await loginStatuses('192.0.2.10', forged)).to.deep.equal([401, 401, 401, 429, 429]);
  });

  it('behind a trusted proxy (by address, subnet, name or hop count), each forwarded client has its own limit', async () => {
    for (const trust of ['127.0.0.1', '127.0.0.0/8', 'loopback', '1']) {
      expect(await loginStatuses(trust, forged), trust).to.deep.equal([401, 401, 401, 401, 401]);
      // And the same client behind that proxy is limited like any other.
      expect(await loginStatuses(trust, () => '198.51.100.7'), trust).to.deep.equal([401, 401, 401, 429, 429]);
    }
  });

  it('counts the client the trusted proxy saw, not what the client wrote in front of it', async () => {
    // The client forges a first entry; the trusted proxy appends the address it saw. Only that one counts.
    expect(await loginStatuses('127.0.0.1', (i) => `10.${i}.0.1, 198.51.100.7`)).to.deep.equal([401, 401, 401, 429, 429]);
  });
});

describe('CORS', () => {
  let app: TestApp;
  const ORIGIN = 'https://tickets.example.com';
  before(async () => {
    app = await createTestApp({ env: { CORS_ORIGINS: `${ORIGIN},http://localhost:5173` } });
  });
  after(async () => app.stop());

  it('answers a preflight from an allowed origin with the API request headers allowed', async () => {
    const res = await app.http
      .options('/payments/charge')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
    expect(res.status).to.equal(204);
    expect(res.headers['access-control-allow-origin']).to.equal(ORIGIN);
    expect(res.headers.vary).to.match(/Origin/);
    const allowed = res.headers['access-control-allow-headers'].toLowerCase().split(',');
    for (const h of ['authorization', 'content-type', 'idempotency-key', 'x-queue-token', 'x-queue-pass', 'if-none-match', 'prefer', 'x-correlation-id'])
      expect(allowed, h).to.include(h);
    expect(res.headers['access-control-allow-methods']).to.include('POST');
  });

  it('exposes the response headers a browser client needs', async () => {
    const user = await signupAndLogin(app.http);
    const res = await app.http.get('/balance').set(user.auth).set('Origin', ORIGIN);
    expect(res.status).to.equal(200);
    expect(res.headers['access-control-allow-origin']).to.equal(ORIGIN);
    const exposed = res.headers['access-control-expose-headers'].toLowerCase().split(',');
    for (const h of ['x-correlation-id', 'etag', 'retry-after', 'location']) expect(exposed, h).to.include(h);
  });

  it('gives another origin no allow-origin header', async () => {
    const preflight = await app.http.options('/payments/charge').set('Origin', 'https://evil.example.net').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers).to.not.have.property('access-control-allow-origin');
    const simple = await app.http.get('/ticketing/search/concerts').set('Origin', 'https://evil.example.net');
    expect(simple.headers).to.not.have.property('access-control-allow-origin');
  });

  it('sends no CORS headers at all when CORS_ORIGINS is not set', async () => {
    const plain = await createTestApp();
    try {
      const res = await plain.http.get('/ticketing/search/concerts').set('Origin', ORIGIN);
      expect(res.headers).to.not.have.property('access-control-allow-origin');
      const preflight = await plain.http.options('/payments/charge').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers).to.not.have.property('access-control-allow-origin');
    } finally {
      await plain.stop();
    }
  });
});
