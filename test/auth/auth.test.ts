import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import type { ManualClock } from '../../src/platform/clock/clock';
import { ADMIN, createTestApp, loginAdmin, signupAndLogin, TEST_ENV, type TestApp, tempDataDir } from '../support/test-app';

describe('auth over HTTP', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => app.stop());

  const userCount = async () => Number((await app.platform.database('auth').knex('users').count({ n: '*' }).first())!.n);

  it('signs up, logs in and tells who is logged in, never returning the password hash', async () => {
    const signup = await app.http.post('/auth/signup').send({ email: 'Kim@Example.com', password: 'correct-horse', name: 'Kim' });
    expect(signup.status).to.equal(201);
    expect(signup.body).to.deep.equal({ id: signup.body.id, email: 'kim@example.com', name: 'Kim', role: 'USER', locale: 'ko' });
    expect(signup.headers['x-correlation-id']).to.be.a('string');

    const login = await app.http.post('/auth/login').send({ email: 'kim@example.com', password: 'correct-horse' });
    expect(login.status).to.equal(200);
    expect(login.body).to.include({ tokenType: 'Bearer', expiresIn: 3600 });
    const me = await app.http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`);
    expect(me.status).to.equal(200);
    expect(me.body).to.deep.equal(signup.body);
    for (const body of [signup.body, login.body, me.body]) expect(JSON.stringify(body)).to.not.match(/password|\$2[aby]\$/i);
  });

  it('publishes auth.user.registered in the same transaction as the account', async () => {
    const signup = await app.http.post('/auth/signup').send({ email: 'lee@example.com', password: 'correct-horse', name: 'Lee' });
    const rows = await app.platform.database('auth').knex('outbox').where({ type: 'auth.user.registered' });
    const mine = rows.map((r) => JSON.parse(r.payload)).filter((p) => p.userId === signup.body.id);
    expect(mine).to.deep.equal([{ userId: signup.body.id, email: 'lee@example.com', name: 'Lee', role: 'USER', locale: 'ko' }]);
  });

  it('refuses a duplicate e-mail in another case with 409, also under concurrent signups', async () => {
    await app.http.post('/auth/signup').send({ email: 'dup@example.com', password: 'correct-horse', name: 'A' }).expect(201);
    const again = await app.http.post('/auth/signup').send({ email: 'DUP@Example.COM', password: 'correct-horse', name: 'B' });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('EMAIL_TAKEN');
    expect(again.headers['content-type']).to.match(/application\/problem\+json/);

    const racers = await Promise.all(
      Array.from({ length: 10 }, () => app.http.post('/auth/signup').send({ email: 'race@example.com', password: 'correct-horse', name: 'R' })),
    );
    expect(racers.filter((r) => r.status === 201)).to.have.length(1);
    expect(racers.filter((r) => r.status === 409)).to.have.length(9);
  });

  it('answers bad input with a 400 problem naming the fields, and stores nothing', async () => {
    const before = await userCount();
    const cases: Array<[unknown, string[]]> = [
      [{ email: 'not-an-email', password: 'correct-horse', name: 'X' }, ['body.email']],
      [{ email: 'a@example.com', password: 'short', name: 'X' }, ['body.password']],
      [{ email: 'a@example.com', password: 'x'.repeat(73), name: 'X' }, ['body.password']],
      [{ email: 'a@example.com', password: 'correct-horse' }, ['body.name']],
      [{ email: 'a@example.com', password: 'correct-horse', name: '' }, ['body.name']],
      [{ email: 'a@example.com', password: 'correct-horse', name: 'x'.repeat(101) }, ['body.name']],
      [{ email: 42, password: true, name: ['x'] }, ['body.email', 'body.password', 'body.name']],
      [{ email: 'a@example.com', password: 'correct-horse', name: 'X', role: 'ADMIN' }, ['body']],
    ];
    for (const [body, fields] of cases) {
      const res = await app.http.post('/auth/signup').send(body as object);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.include.members(fields);
    }
    const malformed = await app.http.post('/auth/signup').set('content-type', 'application/json').send('{"email":');
    expect(malformed.status).to.equal(400);
    expect(malformed.body.code).to.equal('VALIDATION_FAILED');
    expect(await userCount()).to.equal(before);
  });

  it('fails login identically for an unknown e-mail and a wrong password', async () => {
    await app.http.post('/auth/signup').send({ email: 'park@example.com', password: 'correct-horse', name: 'Park' }).expect(201);
    const wrongPassword = await app.http.post('/auth/login').send({ email: 'park@example.com', password: 'wrong-horse' });
    const unknownEmail = await app.http.post('/auth/login').send({ email: 'nobody@example.com', password: 'wrong-horse' });
    expect(wrongPassword.status).to.equal(401);
    expect(unknownEmail.status).to.equal(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, correlationId: undefined });
    expect(strip(wrongPassword.body)).to.deep.equal(strip(unknownEmail.body));
    expect(wrongPassword.body.code).to.equal('INVALID_CREDENTIALS');
  });

  it('rejects tampered, alg:none, foreign-secret, wrong-audience and expired tokens with 401', async () => {
    const user = await signupAndLogin(app.http);
    const [header, payload, signature] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url');
    const tampered = `${header}.${forgedPayload}.${signature}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${forgedPayload}.`;
    const foreign = jwt.sign({ ...claims }, 'another-secret-another-secret-another-secret');
    const wrongAudience = jwt.sign({ ...claims, aud: 'someone-else' }, TEST_ENV.JWT_SECRET);
    for (const token of [tampered, none, foreign, wrongAudience, 'garbage', '']) {
      const res = await app.http.get('/auth/me').set('Authorization', `Bearer ${token}`);
      expect(res.status, token).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
    expect((await app.http.get('/auth/me')).status).to.equal(401);
    expect((await app.http.get('/auth/me').set('Authorization', user.token)).status).to.equal(401);

    (app.clock as ManualClock).advance(3601 * 1000);
    const expired = await app.http.get('/auth/me').set(user.auth);
    expect(expired.status).to.equal(401);
  });

  it('ensures the admin from configuration and keeps non-admins off admin routes', async () => {
    const admin = await loginAdmin(app.http);
    const me = await app.http.get('/auth/me').set(admin.auth);
    expect(me.body).to.include({ email: ADMIN.email, role: 'ADMIN' });

    const user = await signupAndLogin(app.http);
    const res = await app.http.get('/admin/events').set(user.auth);
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('FORBIDDEN');
    expect((await app.http.get('/admin/events')).status).to.equal(401);
    expect((await app.http.get('/admin/events').set(admin.auth)).status).to.equal(200);
  });

  it('rate-limits signup and login per address', async () => {
    const limited = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await limited.http.post('/auth/login').send({ email: 'x@example.com', password: 'whatever-1' })).status);
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429]);
      const res = await limited.http.post('/auth/login').send({ email: 'x@example.com', password: 'whatever-1' });
      expect(res.body.code).to.equal('RATE_LIMITED');
      expect(res.headers['retry-after']).to.match(/^\d+$/);
    } finally {
      await limited.stop();
    }
  });
});

describe('admin from configuration', () => {
  it('promotes an existing account and resets its password to the configured one', async () => {
    const dir = tempDataDir();
    const first = await createTestApp({ env: { DATA_DIR: dir, ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: 'first-password' } });
    await first.http.post('/auth/signup').send({ email: 'promoted@example.com', password: 'user-password', name: 'P' }).expect(201);
    await first.stop();

    const second = await createTestApp({ env: { DATA_DIR: dir, ADMIN_EMAIL: 'promoted@example.com', ADMIN_PASSWORD: 'new-admin-password' } });
    try {
      const login = await second.http.post('/auth/login').send({ email: 'promoted@example.com', password: 'new-admin-password' }).expect(200);
      const me = await second.http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`);
      expect(me.body.role).to.equal('ADMIN');
      expect((await second.http.post('/auth/login').send({ email: 'promoted@example.com', password: 'user-password' })).status).to.equal(401);
    } finally {
      await second.stop();
    }
  });
});
