import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AuthErrors } from '../../auth.errors';
import { type PublicUser, toPublicUser } from '../../domain/user';
import { UserRepository } from '../../infrastructure/user.repository';

@injectable()
export class MeQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(UserRepository) private readonly users: UserRepository,
  ) {}

  async execute(userId: number): Promise<PublicUser> {
    const user = await this.users.findById(this.db.direct, userId);
    if (!user) throw AuthErrors.accountGone();
    return toPublicUser(user);
  }
}
