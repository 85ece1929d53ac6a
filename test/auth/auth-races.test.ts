import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { EnsureAdminService } from '../../src/modules/auth/commands/ensure-admin/ensure-admin.service';
import { PasswordHasher } from '../../src/modules/auth/infrastructure/password-hasher';
import { ADMIN, createTestApp, loginAdmin, type TestApp } from '../support/test-app';
import { onPostgres } from '../support/test-backend';

/**
 * The auth module's writes that another process may make at the same moment (several processes
 * per module share one database): raced with concurrent calls through the real platform.
 */
describe(`auth under concurrent processes (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp({ env: { MODULES: 'auth' } });
  });
  afterEach(() => app.stop());
  const users = () => app.platform.database('auth').knex('users');

  /**
   * Each process starting creates the configured admin if it finds none: all of them find none,
   * one creates it, and the others must bring that account in line instead of failing their
   * start-up on EMAIL_TAKEN.
   */
  it('5 concurrent start-ups on a database without the admin: all succeed, one ADMIN account, its configured password works', async () => {
    // As on a fresh database: the admin this app's own start-up created is gone.
    await users().where({ email: ADMIN.email }).delete();
    const ensureAdmin = app.platform.container('auth').get(EnsureAdminService);

    const runs = await Promise.allSettled(Array.from({ length: 5 }, () => ensureAdmin.run()));
    expect(
      runs.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      'every start-up succeeds',
    ).to.deep.equal([]);
    const admins = await users().where({ email: ADMIN.email });
    expect(admins.map((u) => u.role)).to.deep.equal(['ADMIN']);
    const admin = await loginAdmin(app.http);
    expect(admin.id).to.equal(admins[0].id);
  });

  /**
   * A login with a pre-v2 hash rewrites it as v2 once the password matched. A password reset that
   * lands while that login is checking the old hash (another process's start-up resetting the
   * configured admin) must stay: the rewrite may only replace the hash it checked.
   */
  it('a password reset during a login that upgrades the old hash stays in force', async () => {
    const email = 'upgrading@example.com';
    const signup = await app.http.post('/auth/signup').send({ email, password: 'old-password-1', name: 'U' });
    expect(signup.status).to.equal(201);
    // A bare bcrypt hash from before v2, costly enough (about 250 ms to check) that the reset lands while it is checked.
    await users()
      .where({ email })
      .update({ password_hash: await bcrypt.hash('old-password-1', 12) });
    const resetHash = await app.platform.container('auth').get(PasswordHasher).hash('new-password-1');

    const login = app.http
      .post('/auth/login')
      .send({ email, password: 'old-password-1' })
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 60));
    await users().where({ email }).update({ password_hash: resetHash });
    expect((await login).status, 'the login that started before the reset').to.equal(200);

    expect((await users().where({ email }).first('password_hash')).password_hash, 'the reset hash').to.equal(resetHash);
    expect((await app.http.post('/auth/login').send({ email, password: 'new-password-1' })).status).to.equal(200);
    expect((await app.http.post('/auth/login').send({ email, password: 'old-password-1' })).status).to.equal(401);
  });
});
