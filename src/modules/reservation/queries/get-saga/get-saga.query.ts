import { inject, injectable } from 'inversify';
import type { ModuleDatabase } from '../../../../platform/db/module-database';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { type SagaView, sagaView } from '../../domain/confirm-saga';
import { ConfirmSagaRepository } from '../../infrastructure/confirm-saga.repository';
import { ReservationErrors } from '../../reservation.errors';

/** A confirm saga with its steps, for the user who started it only. */
@injectable()
export class GetSagaQuery {
  constructor(
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(ConfirmSagaRepository) private readonly sagas: ConfirmSagaRepository,
  ) {}

  async get(userId: number, sagaId: string): Promise<SagaView> {
    const saga = await this.sagas.find(this.db.direct, sagaId.toLowerCase());
    if (!saga || saga.userId !== userId) throw ReservationErrors.sagaNotFound(sagaId);
    return sagaView(saga);
  }
}
