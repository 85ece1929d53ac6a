import { envVar } from '../../platform/config/config';
import { moduleSettings } from '../../platform/config/module-settings';

export interface ConcertSettings {
  /** Seed the demo concert into an empty catalogue at start-up. */
  seedDemo: boolean;
}

export const concertSettings = moduleSettings(
  {
    SEED_DEMO: envVar.boolean.default(true),
  },
  (v): ConcertSettings => ({ seedDemo: v.SEED_DEMO }),
);
