import { injectable } from 'inversify';

/** The port: a user's room joins decided one at a time (the room limit is judged on what the earlier one did). */
export const USER_TURNS = Symbol.for('queue.UserTurns');

export interface UserTurns {
  run<T>(userId: number, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One at a time per user in this process: enough where the queue runs once (the in-memory store). */
@injectable()
export class LocalUserTurns implements UserTurns {
  private readonly turns = new Map<number, Promise<unknown>>();

  run<T>(userId: number, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(userId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.turns.set(userId, tail);
    void tail.then(() => {
      if (this.turns.get(userId) === tail) this.turns.delete(userId);
    });
    return run;
  }

  async close(): Promise<void> {}
}
