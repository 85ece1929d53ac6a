import { inject, injectable } from 'inversify';
import type { Outbox } from '../../../../platform/bus/outbox';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { AppError } from '../../../../platform/http/app-error';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AUTH } from '../../auth.di-tokens';
import type { PasswordHasher } from '../../password-hasher';
import { toPublicUser, type PublicUser, type UserRepository } from '../../user.repository';
import type { SignupRequest } from './signup.request.dto';

@injectable()
export class SignupService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Outbox) private readonly outbox: Outbox,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(AUTH.UserRepository) private readonly users: UserRepository,
    @inject(AUTH.PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async signup(request: SignupRequest, role: 'USER' | 'ADMIN' = 'USER'): Promise<PublicUser> {
    // Hash before the transaction: the single connection is never held across slow work.
    const passwordHash = await this.hasher.hash(request.password);
    const user = await this.db.transaction(async (trx) => {
      const created = await this.users.insert(trx, { email: request.email, name: request.name, passwordHash, role }, this.clock.now());
      if (!created) return null;
      await this.outbox.publish(trx, 'auth.user.registered', created.id, { userId: created.id, email: created.email, name: created.name, role });
      return created;
    });
    if (!user) throw new AppError(409, 'EMAIL_TAKEN', 'E-mail taken', 'An account with this e-mail already exists.');
    return toPublicUser(user);
  }
}
