import type { JobDefinition } from '../../../platform/module/module-definition';
import type { QueueEngine } from '../queue-engine';

/** Admission cycle: expire passes and idle waiters, then admit the head of the queue within both limits. */
export const ADMIT_JOB = 'admit';
export const PURGE_JOB = 'purge-ended-tokens';

export function queueJobs(engine: QueueEngine): JobDefinition[] {
  return [
    { name: ADMIT_JOB, intervalMs: 200, run: () => engine.tick() },
    { name: PURGE_JOB, intervalMs: 3600_000, run: async () => void (await engine.purgeEnded()) },
  ];
}
