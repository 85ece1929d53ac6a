import { inject, injectable } from 'inversify';
import type { AppConfig } from '../../../platform/config/config';
import type { ModuleDatabase } from '../../../platform/db/module-database';
import type { Logger } from '../../../platform/logging/logger';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { AUTH } from '../auth.di-tokens';
import type { SignupService } from '../commands/signup/signup.service';
import type { PasswordHasher } from '../password-hasher';
import type { UserRepository } from '../user.repository';

/** ADMIN_EMAIL / ADMIN_PASSWORD describe the admin account: create it, or bring it in line. */
@injectable()
export class EnsureAdmin {
  constructor(
    @inject(PLATFORM.Config) private readonly config: AppConfig,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(AUTH.UserRepository) private readonly users: UserRepository,
    @inject(AUTH.PasswordHasher) private readonly hasher: PasswordHasher,
    @inject(AUTH.SignupService) private readonly signup: SignupService,
  ) {}

  async run(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    const existing = await this.users.findByEmail(admin.email);
    if (!existing) {
      await this.signup.signup({ email: admin.email, password: admin.password, name: 'Administrator' }, 'ADMIN');
      this.logger.info({ email: admin.email }, 'admin account created');
      return;
    }
    const passwordMatches = await this.hasher.verify(admin.password, existing.passwordHash);
    if (existing.role === 'ADMIN' && passwordMatches) return;
    const passwordHash = passwordMatches ? undefined : await this.hasher.hash(admin.password);
    await this.db.transaction((trx) => this.users.update(trx, existing.id, { role: 'ADMIN', passwordHash }));
    this.logger.info({ email: admin.email }, 'admin account updated from configuration');
  }
}
