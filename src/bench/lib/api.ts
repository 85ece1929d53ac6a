import { AccessTokens } from '../../platform/auth/access-token';
import { systemClock } from '../../platform/clock/clock';
import { call } from './load';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-000';
/** Synthetic users' ids start here, far above the ids that signing up gives (the admin, the login scenario's users). */
export const USER_ID_BASE = 1_000_000;

/**
 * Login tokens for synthetic users, signed with the server's key. The measured scenarios never
 * include login (bcrypt would dominate them); the modules trust the token's user id, as they do
 * for real users. Login itself is exercised by the set-up of the admin.
 */
export function tokenFor(userId: number, role: 'USER' | 'ADMIN' = 'USER'): string {
  const tokens = new AccessTokens({ secret: BENCH_JWT_SECRET, issuer: 'ticketing/auth', audience: 'ticketing/api', expiresInSeconds: 24 * 3600 }, systemClock);
  return tokens.issue({ id: userId, email: `bench-${userId}@bench.local`, role });
}

export class Api {
  constructor(readonly base: string) {}

  async ok(method: string, path: string, headers: Record<string, string>, body?: unknown, expected: number[] = [200, 201]): Promise<any> {
    const res = await call(this.base, method, path, headers, body);
    if (!expected.includes(res.status)) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}
