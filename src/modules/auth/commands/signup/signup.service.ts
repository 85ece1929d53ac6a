import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AuthErrors } from '../../auth.errors';
import { DEFAULT_LOCALE, type PublicUser, toPublicUser } from '../../domain/user';
import { PasswordHasher } from '../../infrastructure/password-hasher';
import { UserRepository } from '../../infrastructure/user.repository';
import type { SignupRequest } from './signup.request.dto';

@injectable()
export class SignupService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(UserRepository) private readonly users: UserRepository,
    @inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async signup(request: SignupRequest, role: 'USER' | 'ADMIN' = 'USER'): Promise<PublicUser> {
    // Hash before the transaction: the single connection is never held across slow work.
    const passwordHash = await this.hasher.hash(request.password);
    const user = await this.db.transaction(async (trx) => {
      const locale = request.locale ?? DEFAULT_LOCALE;
      const created = await this.users.insert(trx, { email: request.email, name: request.name, passwordHash, role, locale }, this.clock.now());
      if (!created) return null;
      await this.outbox.publish(trx, 'auth.user.registered', created.id, { userId: created.id, email: created.email, name: created.name, role, locale });
      return created;
    });
    if (!user) throw AuthErrors.emailTaken();
    return toPublicUser(user);
  }
}
