import { inject, injectable } from 'inversify';
import { errors } from '../../../../platform/http/app-error';
import { AUTH } from '../../auth.di-tokens';
import { toPublicUser, type PublicUser, type UserRepository } from '../../user.repository';

@injectable()
export class MeQuery {
  constructor(@inject(AUTH.UserRepository) private readonly users: UserRepository) {}

  async execute(userId: number): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    // A valid token for a user that no longer exists is as good as no token.
    if (!user) throw errors.unauthorized('The account behind this token no longer exists.');
    return toPublicUser(user);
  }
}
