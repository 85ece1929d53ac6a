import { DomainError } from '../../platform/domain/domain-error';

/** The concert module's refusals, by stable code. Routes map them to HTTP statuses. */
export const ConcertErrors = {
  concertNotFound: (concertId: number) => new DomainError('NOT_FOUND', 'Concert not found', `There is no concert ${concertId}.`),
  scheduleNotFound: (scheduleId: number) => new DomainError('NOT_FOUND', 'Schedule not found', `There is no schedule ${scheduleId}.`),
};
