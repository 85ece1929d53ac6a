import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { loginRequest } from './login.request.dto';
import type { LoginService } from './login.service';

const loginResponse = z.object({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int() });

export function loginRoute(service: LoginService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/auth/login',
    summary: 'Exchange e-mail and password for an access token',
    tags: ['auth'],
    access: 'public',
    rateLimited: true,
    body: loginRequest,
    errors: { INVALID_CREDENTIALS: 401 },
    responses: {
      200: { description: 'Logged in', schema: loginResponse },
      401: { description: 'INVALID_CREDENTIALS (same answer for an unknown e-mail and a wrong password)' },
    },
    handle: async ({ body }) => ({ status: 200, body: await service.login(body) }),
  });
}
