import { inject, injectable } from 'inversify';
import { AuthErrors } from '../../auth.errors';
import { type PublicUser, toPublicUser } from '../../domain/user';
import { UserRepository } from '../../infrastructure/user.repository';

@injectable()
export class MeQuery {
  constructor(@inject(UserRepository) private readonly users: UserRepository) {}

  async execute(userId: number): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) throw AuthErrors.accountGone();
    return toPublicUser(user);
  }
}
