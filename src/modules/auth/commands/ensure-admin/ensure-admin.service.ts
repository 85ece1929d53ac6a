import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { DomainError } from '../../../../platform/domain/domain-error';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import type { AuthSettings } from '../../auth.settings';
import { PasswordHasher } from '../../infrastructure/password-hasher';
import { UserRepository } from '../../infrastructure/user.repository';
import { SignupService } from '../signup/signup.service';

/** Run at start-up: ADMIN_EMAIL / ADMIN_PASSWORD describe the admin account; create it, or bring it in line. */
@injectable()
export class EnsureAdminService {
  constructor(
    @inject(PLATFORM.Settings) private readonly settings: AuthSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(UserRepository) private readonly users: UserRepository,
    @inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @inject(SignupService) private readonly signup: SignupService,
  ) {}

  async run(): Promise<void> {
    const admin = this.settings.admin;
    if (!admin) return;
    let existing = await this.users.findByEmail(this.db.direct, admin.email);
    if (!existing) {
      try {
        await this.signup.signup({ email: admin.email, password: admin.password, name: 'Administrator' }, 'ADMIN');
        this.logger.info({ email: admin.email }, 'admin account created');
        return;
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'EMAIL_TAKEN')) throw err;
      }
      // Created meanwhile (another process starting at the same time, or a signup): bring it in line.
      existing = await this.users.findByEmail(this.db.direct, admin.email);
      if (!existing) throw new Error(`The admin account ${admin.email} was taken, then could not be found`);
    }
    const passwordMatches = await this.hasher.verify(admin.password, existing.passwordHash);
    if (existing.role === 'ADMIN' && passwordMatches) return;
    const passwordHash = passwordMatches ? undefined : await this.hasher.hash(admin.password);
    await this.db.transaction((trx) => this.users.update(trx, existing.id, { role: 'ADMIN', passwordHash }));
    this.logger.info({ email: admin.email }, 'admin account updated from configuration');
  }
}
