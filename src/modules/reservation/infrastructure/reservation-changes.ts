import { inject, injectable } from 'inversify';
import { PLATFORM } from '../../../platform/platform.di-tokens';

/** A reader's subscription to one reservation's changes; close it when done. */
export interface ReservationWatch {
  /** Resolves at the next notice since the watch began or since the last call, after `ms`, or at shutdown. */
  next(ms: number): Promise<void>;
  close(): void;
}

/**
 * Tells waiting readers (a `GET` with `Prefer: wait`) that a reservation was written, so they
 * answer as soon as it changes instead of the client polling. In-process and per module: the
 * reservation's writes and its reads live in the same module, in whatever process runs it.
 * A notice means "look again", not "it changed": it also follows a rolled-back write.
 */
@injectable()
export class ReservationChanges {
  private readonly watches = new Map<number, Set<Watch>>();

  constructor(@inject(PLATFORM.Shutdown) private readonly shutdown: AbortSignal) {
    shutdown.addEventListener('abort', () => {
      for (const set of this.watches.values()) for (const w of set) w.notice();
    });
  }

  notify(reservationId: number): void {
    const set = this.watches.get(reservationId);
    if (set) for (const w of set) w.notice();
  }

  /** Start watching before reading, so a change between the read and the wait is not missed. */
  watch(reservationId: number): ReservationWatch {
    let set = this.watches.get(reservationId);
    if (!set) {
      set = new Set();
      this.watches.set(reservationId, set);
    }
    const watch = new Watch(this.shutdown, () => {
      set.delete(watch);
      if (set.size === 0 && this.watches.get(reservationId) === set) this.watches.delete(reservationId);
    });
    set.add(watch);
    return watch;
  }

  /** Readers watching now. */
  watching(): number {
    let n = 0;
    for (const set of this.watches.values()) n += set.size;
    return n;
  }
}

class Watch implements ReservationWatch {
  private noticed = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly shutdown: AbortSignal,
    private readonly onClose: () => void,
  ) {}

  notice(): void {
    this.noticed = true;
    this.wake?.();
  }

  next(ms: number): Promise<void> {
    if (this.noticed || this.shutdown.aborted || ms <= 0) {
      this.noticed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        this.noticed = false;
        resolve();
      };
    });
  }

  close(): void {
    this.wake?.();
    this.onClose();
  }
}
