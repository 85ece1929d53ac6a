import { inject, injectable } from 'inversify';
import type { AccessTokens } from '../../../../platform/auth/access-token';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AuthErrors } from '../../auth.errors';
import { PasswordHasher } from '../../infrastructure/password-hasher';
import { UserRepository } from '../../infrastructure/user.repository';
import type { LoginRequest } from './login.request.dto';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

@injectable()
export class LoginService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.AccessTokens) private readonly tokens: AccessTokens,
    @inject(UserRepository) private readonly users: UserRepository,
    @inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async login(request: LoginRequest): Promise<LoginResult> {
    const user = await this.users.findByEmail(this.db.direct, request.email);
    const { ok, rehash } = await this.hasher.check(request.password, user?.passwordHash ?? null);
    if (!user || !ok) throw AuthErrors.invalidCredentials();
    // Only over the hash just checked: a password reset that landed meanwhile stays.
    if (rehash) await this.db.transaction((trx) => this.users.replaceHash(trx, user.id, user.passwordHash, rehash));
    return {
      accessToken: this.tokens.issue({ id: user.id, email: user.email, role: user.role }),
      tokenType: 'Bearer',
      expiresIn: this.tokens.expiresInSeconds,
    };
  }
}
