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
  reportPath: string;
}
