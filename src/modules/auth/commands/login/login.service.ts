import { inject, injectable } from 'inversify';
import type { AccessTokens } from '../../../../platform/auth/access-token';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { AppError } from '../../../../platform/http/app-error';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AUTH } from '../../auth.di-tokens';
import type { PasswordHasher } from '../../password-hasher';
import type { UserRepository } from '../../user.repository';
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
    @inject(AUTH.UserRepository) private readonly users: UserRepository,
    @inject(AUTH.PasswordHasher) private readonly hasher: PasswordHasher,
    @inject(PLATFORM.AccessTokens) private readonly tokens: AccessTokens,
  ) {}

  async login(request: LoginRequest): Promise<LoginResult> {
    const user = await this.users.findByEmail(request.email);
    const { ok, rehash } = await this.hasher.check(request.password, user?.passwordHash ?? null);
    if (!user || !ok) throw new AppError(401, 'INVALID_CREDENTIALS', 'Invalid credentials', 'The e-mail or password is wrong.');
    if (rehash) await this.db.transaction((trx) => this.users.update(trx, user.id, { passwordHash: rehash }));
    return { accessToken: this.tokens.issue({ id: user.id, email: user.email, role: user.role }), tokenType: 'Bearer', expiresIn: this.tokens.expiresInSeconds };
  }
}
