import { call, drive, type LoadResult } from '../lib/load';
import type { RunContext } from '../lib/run-context';

/** Login at the production bcrypt cost: the one scenario where password hashing is on the path. */
export async function measureLogin(run: RunContext): Promise<LoadResult[]> {
  const loginUsers = Array.from({ length: run.options.quick ? 40 : 200 }, (_, i) => ({ email: `login-${i}@bench.local`, password: `password-${i}-bench` }));
  await drive('sign up login users', loginUsers, 8, async (u) => {
    await run.api.ok('POST', '/auth/signup', {}, { ...u, name: 'Login Bench' }, [201]);
  });
  run.startWindow(run.server);
  const login = await drive(
    `auth: login, bcrypt cost 10 (${loginUsers.length} users)`,
    loginUsers,
    8,
    async (u, record) => {
      const res = await call(run.server.url, 'POST', '/auth/login', {}, u);
      record({ status: res.status, ms: res.ms });
    },
    [200],
  );
  await run.compareToCeiling(login);
  return [login];
}
