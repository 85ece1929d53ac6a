import { inject, injectable } from 'inversify';
import { every, type Job } from '../../../platform/module/module-definition';
import { AdmissionCycle } from '../infrastructure/admission-cycle';

/** Admission cycle: expire passes and idle waiters, then admit the head of the queue within both limits. */
@injectable()
export class AdmitJob implements Job {
  static readonly schedule = every(200, 'admit');

  constructor(@inject(AdmissionCycle) private readonly cycle: AdmissionCycle) {}

  run(): Promise<void> {
    return this.cycle.run();
  }
}
