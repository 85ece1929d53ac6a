import { defineModule } from '../../platform/module/module-definition';
import { authSettings } from './auth.settings';
import { EnsureAdminService } from './commands/ensure-admin/ensure-admin.service';
import { grantRoleRoute } from './commands/grant-role/grant-role.http.controller';
import { GrantRoleService } from './commands/grant-role/grant-role.service';
import { loginRoute } from './commands/login/login.http.controller';
import { LoginService } from './commands/login/login.service';
import { signupRoute } from './commands/signup/signup.http.controller';
import { SignupService } from './commands/signup/signup.service';
import { meRoute } from './queries/me/me.http.controller';
import { MeQuery } from './queries/me/me.query';

export const authModule = defineModule({
  name: 'auth',
  settings: authSettings,
  routes: (c) => [signupRoute(c.get(SignupService)), loginRoute(c.get(LoginService)), meRoute(c.get(MeQuery)), grantRoleRoute(c.get(GrantRoleService))],
  onStart: (c) => c.get(EnsureAdminService).run(),
});
