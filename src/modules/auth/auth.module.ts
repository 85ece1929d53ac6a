import { defineModule } from '../../platform/module/module-definition';
import { authSettings } from './auth.settings';
import { EnsureAdminService } from './commands/ensure-admin/ensure-admin.service';
import { loginRoute } from './commands/login/login.http.controller';
import { LoginService } from './commands/login/login.service';
import { signupRoute } from './commands/signup/signup.http.controller';
import { SignupService } from './commands/signup/signup.service';
import { meRoute } from './queries/me/me.http.controller';
import { MeQuery } from './queries/me/me.query';

export const authModule = defineModule({
  name: 'auth',
  settings: authSettings,
  routes: (c) => [signupRoute(c.get(SignupService)), loginRoute(c.get(LoginService)), meRoute(c.get(MeQuery))],
  onStart: (c) => c.get(EnsureAdminService).run(),
});
