import type { Container } from 'inversify';
import { defineModule } from '../../platform/module/module-definition';
import { AUTH } from './auth.di-tokens';
import { loginRoute } from './commands/login/login.http.controller';
import { LoginService } from './commands/login/login.service';
import { signupRoute } from './commands/signup/signup.http.controller';
import { SignupService } from './commands/signup/signup.service';
import { PasswordHasher } from './password-hasher';
import { meRoute } from './queries/me/me.http.controller';
import { MeQuery } from './queries/me/me.query';
import { EnsureAdmin } from './start-up/ensure-admin';
import { UserRepository } from './user.repository';

export const authModule = defineModule({
  name: 'auth',
  bind(c: Container) {
    c.bind(AUTH.UserRepository).to(UserRepository);
    c.bind(AUTH.PasswordHasher).to(PasswordHasher);
    c.bind(AUTH.SignupService).to(SignupService);
    c.bind(AUTH.LoginService).to(LoginService);
    c.bind(AUTH.MeQuery).to(MeQuery);
    c.bind(AUTH.EnsureAdmin).to(EnsureAdmin);
  },
  routes: (c) => [signupRoute(c.get(AUTH.SignupService)), loginRoute(c.get(AUTH.LoginService)), meRoute(c.get(AUTH.MeQuery))],
  onStart: (c) => c.get<EnsureAdmin>(AUTH.EnsureAdmin).run(),
});
