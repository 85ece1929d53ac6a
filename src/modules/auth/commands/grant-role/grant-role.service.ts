import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { AuthErrors } from '../../auth.errors';
import { type GrantableRole, mayChangeRole, type PublicUser, toPublicUser } from '../../domain/user';
import { UserRepository } from '../../infrastructure/user.repository';

/**
 * An admin gives an account a role (`STAFF` for the door, or `USER` back). Access tokens carry
 * the role and are verified without asking this module, so the new role takes effect at the
 * account's next login (its current token keeps the old role until it expires).
 */
@injectable()
export class GrantRoleService {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(UserRepository) private readonly users: UserRepository,
  ) {}

  async grant(adminId: number, userId: number, role: GrantableRole): Promise<PublicUser> {
    const user = await this.db.transaction(async (trx) => {
      const found = await this.users.findById(trx, userId);
      if (!found) throw AuthErrors.userNotFound(userId);
      if (!mayChangeRole(found)) throw AuthErrors.roleNotChangeable(userId);
      if (!(await this.users.setRoleUnlessAdmin(trx, userId, role))) throw AuthErrors.roleNotChangeable(userId);
      return { ...found, role };
    });
    this.logger.info({ adminId, userId, role }, 'role granted');
    return toPublicUser(user);
  }
}
