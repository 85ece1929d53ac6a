export const SCENARIOS = ['login', 'status', 'rush', 'distinct', 'journey'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  durationSeconds: number;
  connections: number;
  users: number;
  rushUsers: number;
  rushSeats: number;
  journeyUsers: number;
  waitingLarge: number;
  profile: boolean;
  /** Scenarios to run (`--only=status,rush`); the ceiling and the token burst always run. */
  only: ReadonlySet<Scenario>;
  /** Keep the data directory (databases, CPU profile) instead of deleting it. */
  keep: boolean;
  reportPath: string;
}
