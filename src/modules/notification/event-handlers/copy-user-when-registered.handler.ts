import { inject, injectable } from 'inversify';
import type { EventEnvelope } from '../../../contracts/events';
import type { EventHandler } from '../../../platform/bus/subscription';
import type { Transaction } from '../../../platform/db/module-database';
import { on } from '../../../platform/module/module-definition';
import { asLocale, Projections } from '../infrastructure/projections.repository';

/** Keeps where and in which language to write to each user (an event without `locale` means `ko`). */
@injectable()
export class CopyUserWhenRegistered implements EventHandler<'auth.user.registered'> {
  static readonly subscription = on('auth.user.registered', 'user-copy');

  constructor(@inject(Projections) private readonly projections: Projections) {}

  async handle(event: EventEnvelope<'auth.user.registered'>, trx: Transaction): Promise<void> {
    const { userId, email, name, locale } = event.payload;
    await this.projections.upsertUser(trx, { userId, email, name, locale: asLocale(locale) });
  }
}
