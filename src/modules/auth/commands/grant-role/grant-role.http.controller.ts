import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { publicUserSchema } from '../../auth.schemas';
import { grantRoleParams, grantRoleRequest } from './grant-role.request.dto';
import type { GrantRoleService } from './grant-role.service';

export function grantRoleRoute(service: GrantRoleService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/admin/users/:id/roles',
    summary: 'Give an account a role (STAFF scans e-tickets at the door)',
    description:
      'Sets the account’s role to `STAFF` or back to `USER`. An `ADMIN` account keeps its role (409). Access tokens carry the role, so it takes effect at the account’s next login.',
    tags: ['auth', 'admin'],
    access: 'admin',
    params: grantRoleParams,
    body: grantRoleRequest,
    bodyLimitBytes: 256,
    bodyExample: { role: 'STAFF' },
    errors: { USER_NOT_FOUND: 404, ROLE_NOT_CHANGEABLE: 409 },
    responses: {
      200: { description: 'The account with its new role', schema: publicUserSchema },
      404: { description: 'USER_NOT_FOUND' },
      409: { description: 'ROLE_NOT_CHANGEABLE: the account is an ADMIN' },
    },
    handle: async ({ params, body, user }) => ({ status: 200, body: await service.grant(user.id, params.id, body.role) }),
  });
}
