import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { sagaViewSchema } from '../../reservation.schemas';
import type { GetSagaQuery } from './get-saga.query';
import { getSagaParams } from './get-saga.request.dto';

export function getSagaRoute(query: GetSagaQuery): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/sagas/:id',
    summary: 'A confirm saga of the caller’s, with its steps',
    tags: ['reservations'],
    access: 'user',
    params: getSagaParams,
    errors: { SAGA_NOT_FOUND: 404 },
    responses: { 200: { description: 'The saga', schema: sagaViewSchema }, 404: { description: 'SAGA_NOT_FOUND (also for another user’s saga)' } },
    handle: async ({ params, user }) => ({ status: 200, body: await query.get(user.id, params.id) }),
  });
}
