import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { publicUserSchema } from '../../auth.schemas';
import { signupRequest } from './signup.request.dto';
import type { SignupService } from './signup.service';

export function signupRoute(service: SignupService): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/auth/signup',
    summary: 'Create an account',
    tags: ['auth'],
    access: 'public',
    rateLimited: true,
    body: signupRequest,
    errors: { EMAIL_TAKEN: 409 },
    responses: {
      201: { description: 'Account created', schema: publicUserSchema },
      409: { description: 'EMAIL_TAKEN' },
    },
    handle: async ({ body }) => ({ status: 201, body: await service.signup(body) }),
  });
}
