/**
 * Which replica of a module does what must happen once per module: relay its outbox, read its
 * inbox's events from the broker, run its periodic jobs. Every replica serves requests.
 */
export interface Leadership {
  /** True while this process leads its module. */
  readonly isLeader: boolean;
  /** Called each time this process becomes the leader (also at once, if it already is). */
  onLead(callback: () => void): void;
  /** Resolves once this process leads (at once if it does). */
  whenLeader(): Promise<void>;
  /** Begins taking part; resolves once the first attempt to lead has been made. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A module database only one process can open (SQLite): that process always leads. */
export class SoleLeadership implements Leadership {
  readonly isLeader = true;

  onLead(callback: () => void): void {
    callback();
  }

  whenLeader(): Promise<void> {
    return Promise.resolve();
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
