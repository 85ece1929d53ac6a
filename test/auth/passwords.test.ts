import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * bcrypt hashes only the first 72 bytes of its input. Passwords are limited
 * in characters, and one Hangul syllable is three bytes: without care, a 30-syllable password
 * (90 bytes) would let anyone in with its first 24 syllables plus anything.
 */
describe('passwords: every byte counts', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(async () => app.stop());

  let n = 0;
  const email = () => {
    n += 1;
    return `pw-${n}@example.com`;
  };
  const signup = (address: string, password: string) => app.http.post('/auth/signup').send({ email: address, password, name: 'P' });
  const login = (address: string, password: string) => app.http.post('/auth/login').send({ email: address, password });
  const storedHash = async (address: string) =>
    (await app.platform.database('auth').knex('users').where({ email: address }).first('password_hash')).password_hash as string;

  /** The first `count` characters of the password, then something else. */
  const impostorOf = (password: string, count: number, tail: string) => [...password].slice(0, count).join('') + tail;
  const hangul = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노';
  const cases: Array<[string, string, string]> = [
    // [what, password, another password sharing its first 72 bytes]
    ['30 Hangul syllables (90 bytes)', hangul, impostorOf(hangul, 24, '완전히다른끝')],
    ['accented letters (2 bytes each)', 'é'.repeat(40), impostorOf('é'.repeat(40), 36, 'xyz')],
    ['emoji (4 bytes each)', '🎫🎵🎤🎸'.repeat(5), impostorOf('🎫🎵🎤🎸'.repeat(5), 18, '🚫')],
  ];
  for (const [what, password, impostor] of cases) {
    it(`tells apart two passwords of ${what} that share their first 72 bytes`, async () => {
      expect(Buffer.byteLength(password)).to.be.greaterThan(72);
      expect(Buffer.from(impostor).subarray(0, 72).equals(Buffer.from(password).subarray(0, 72)), 'the impostor shares the first 72 bytes').to.equal(true);
      const address = email();
      expect((await signup(address, password)).status).to.equal(201);
      expect((await login(address, password)).status).to.equal(200);
      const refused = await login(address, impostor);
      expect(refused.status).to.equal(401);
      expect(refused.body.code).to.equal('INVALID_CREDENTIALS');
    });
  }

  it('takes a NUL like any other character (a C string would end there)', async () => {
    const address = email();
    expect((await signup(address, 'prefix-1\u0000secret-A')).status).to.equal(201);
    expect((await login(address, 'prefix-1\u0000secret-A')).status).to.equal(200);
    expect((await login(address, 'prefix-1\u0000secret-B')).status).to.equal(401);
    expect((await login(address, 'prefix-1')).status).to.equal(401);
  });

  it('keeps accounts hashed the old way working, and moves them to the new scheme at their next login', async () => {
    const address = email();
    expect((await signup(address, 'placeholder-1')).status).to.equal(201);
    // An account created before the scheme changed: a bare bcrypt hash of the password.
    const legacy = await bcrypt.hash('old-password-1', 4);
    await app.platform.database('auth').knex('users').where({ email: address }).update({ password_hash: legacy });
    expect((await login(address, 'wrong-password')).status).to.equal(401);
    expect(await storedHash(address)).to.equal(legacy);
    expect((await login(address, 'old-password-1')).status).to.equal(200);
    const upgraded = await storedHash(address);
    expect(upgraded).to.not.equal(legacy);
    expect(upgraded.startsWith('v2$')).to.equal(true);
    expect((await login(address, 'old-password-1')).status).to.equal(200);
    expect((await login(address, 'old-password-1x')).status).to.equal(401);
  });

  it('leaves an old hash of a password longer than 72 bytes as it is: the bytes past 72 were never recorded', async () => {
    const address = email();
    expect((await signup(address, 'placeholder-1')).status).to.equal(201);
    const long = '가'.repeat(30);
    const legacy = await bcrypt.hash(long, 4);
    await app.platform.database('auth').knex('users').where({ email: address }).update({ password_hash: legacy });
    expect((await login(address, long)).status).to.equal(200);
    // Not rewritten from a password whose tail could not be checked (it might be an impostor's).
    expect(await storedHash(address)).to.equal(legacy);
  });
});
