import { z } from 'zod';
import { AppError } from '../../../../platform/http/app-error';
import { defineRoute, type RouteDefinition } from '../../../../platform/http/route';
import { sagaView, sagaViewSchema } from '../../saga/confirm-saga';
import type { ConfirmSagaOrchestrator } from '../../saga/confirm-saga.orchestrator';

export function getSagaRoute(orchestrator: ConfirmSagaOrchestrator): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/ticketing/sagas/:id',
    summary: 'A confirm saga of the caller’s, with its steps',
    tags: ['reservations'],
    access: 'user',
    params: z.strictObject({ id: z.uuid('must be a saga id (UUID)') }),
    responses: { 200: { description: 'The saga', schema: sagaViewSchema }, 404: { description: 'SAGA_NOT_FOUND (also for another user’s saga)' } },
    handle: async ({ params, user }) => {
      const saga = await orchestrator.find(params.id.toLowerCase());
      if (!saga || saga.userId !== user.id) throw new AppError(404, 'SAGA_NOT_FOUND', 'Saga not found', `You have no saga ${params.id}.`);
      return { status: 200, body: sagaView(saga) };
    },
  });
}
