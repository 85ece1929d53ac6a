export const QUEUE = {
  Repository: Symbol.for('queue.Repository'),
  Engine: Symbol.for('queue.Engine'),
  OnReservationSucceeded: Symbol.for('queue.OnReservationSucceeded'),
} as const;
