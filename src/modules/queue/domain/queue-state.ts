import { SeqRank } from './seq-rank';

export type LiveStatus = 'WAITING' | 'ACTIVE';

/**
 * A live token as the index describes it at the moment of asking: a snapshot built on demand,
 * never kept by the index. Changes go through `QueueState`'s methods, keyed by `seq`.
 */
export interface LiveTicket {
  readonly seq: number;
  readonly token: string;
  readonly userId: number;
  readonly status: LiveStatus;
  /** Last time the holder showed up (poll or repeated POST); waiting tokens idle past the limit are dropped. */
  readonly lastSeenMs: number;
  /** Last answered poll and the interval advised then: the base of the polling discipline. */
  readonly lastPollMs: number | null;
  readonly advisedPollMs: number;
  /** ACTIVE only. */
  readonly expiresAtMs: number | null;
}

export interface NewLiveTicket {
  seq: number;
  token: string;
  userId: number;
  status: LiveStatus;
  createdAtMs: number;
  seenAtMs: number;
  /** ACTIVE only. */
  expiresAtMs: number | null;
}

export interface QueueStateOptions {
  /** Slots allocated when the index is empty; it never shrinks below this. */
  initialSlots?: number;
  /** The window is moved forward only once at least this many ended slots lie below the oldest live one. */
  minDeadPrefix?: number;
}

const ENDED = 0;
const WAITING = 1;
const ACTIVE = 2;
const NO_SLOT = -1;

/**
 * One column per attribute every live token has, indexed by slot = seq − base. Typed arrays hold
 * numbers unboxed, so a waiting token costs a few dozen bytes here instead of an object with boxed
 * timestamps and pointers; only the token string needs a reference.
 */
class Slots {
  readonly status: Uint8Array;
  readonly userId: Float64Array;
  readonly createdAtMs: Float64Array;
  readonly lastSeenMs: Float64Array;
  /** NaN: not polled yet. */
  readonly lastPollMs: Float64Array;
  readonly advisedPollMs: Int32Array;
  // The "least recently seen" list of waiting slots, as slot numbers (NO_SLOT ends it).
  readonly prevSeen: Int32Array;
  readonly nextSeen: Int32Array;
  readonly token: Array<string | undefined>;

  constructor(readonly capacity: number) {
    this.status = new Uint8Array(capacity);
    this.userId = new Float64Array(capacity);
    this.createdAtMs = new Float64Array(capacity);
    this.lastSeenMs = new Float64Array(capacity);
    this.lastPollMs = new Float64Array(capacity);
    this.advisedPollMs = new Int32Array(capacity);
    this.prevSeen = new Int32Array(capacity);
    this.nextSeen = new Int32Array(capacity);
    // Filled by pushing so V8 keeps a flat array (a large `new Array(n)` starts as a dictionary).
    this.token = [];
    for (let i = 0; i < capacity; i++) this.token.push(undefined);
  }

  /** Copies slots [from, to) of `source` to [from + shift, to + shift), moving the seen links with them. */
  copyFrom(source: Slots, from: number, to: number, shift: number): void {
    const at = from + shift;
    this.status.set(source.status.subarray(from, to), at);
    this.userId.set(source.userId.subarray(from, to), at);
    this.createdAtMs.set(source.createdAtMs.subarray(from, to), at);
    this.lastSeenMs.set(source.lastSeenMs.subarray(from, to), at);
    this.lastPollMs.set(source.lastPollMs.subarray(from, to), at);
    this.advisedPollMs.set(source.advisedPollMs.subarray(from, to), at);
    for (let i = from; i < to; i++) {
      const prev = source.prevSeen[i];
      const next = source.nextSeen[i];
      this.prevSeen[i + shift] = prev === NO_SLOT ? NO_SLOT : prev + shift;
      this.nextSeen[i + shift] = next === NO_SLOT ? NO_SLOT : next + shift;
      this.token[i + shift] = source.token[i];
    }
  }
}

/** What only an admitted ticket has. */
interface Admission {
  readonly expiresAtMs: number | null;
  /** The signed pass, minted on first read (a few hundred bytes, so only ever for the few admitted). */
  pass: string | null;
}

/**
 * The in-memory index of live tokens, kept in step with the database (it is changed only after
 * the transaction that made the change commits, and rebuilt from the database at start-up).
 * Everything a status poll needs is here, so a poll costs no query:
 * - position: `SeqRank` over the waiting tokens' arrival sequence (O(log n));
 * - FIFO head for admission: waiting slots in seq order (departures skipped lazily);
 * - pass expiry: active tickets in expiry order;
 * - idle expiry: waiting tickets in least-recently-seen order (a touch moves one to the tail).
 *
 * Memory per waiting user is what limits a big sale, so there is no object per waiting ticket:
 * its attributes live in typed-array columns over a window of arrival numbers [base, base + used),
 * plus one map entry by token and one by user. The window drops its ended prefix as the head
 * advances, so memory follows the live queue rather than every token ever issued. What only
 * admitted tickets have (expiry, pass) is kept per ticket, since there are few of them. Callers
 * hold `seq`, never a slot: seqs are never reused, so a stale one is simply no longer live.
 */
export class QueueState {
  private readonly initialSlots: number;
  private readonly minDeadPrefix: number;
  private slots: Slots;
  /** The seq held by slot 0. */
  private base = 0;
  /** Slots [0, used) have been handed out; every later one is empty. */
  private used = 0;
  /** Every slot below this one has ended. */
  private liveFrom = 0;
  /** No slot below this one is waiting. */
  private waitingFrom = 0;
  private seenHead = NO_SLOT;
  private seenTail = NO_SLOT;
  private readonly seqByToken = new Map<string, number>();
  private readonly seqByUser = new Map<number, number>();
  /** Active tickets by seq, in activation order, which is expiry order (a map iterates in insertion order). */
  private readonly admissions = new Map<number, Admission>();
  private readonly ranks = new SeqRank();
  private waiting = 0;
  private active = 0;

  constructor(options: QueueStateOptions = {}) {
    this.initialSlots = options.initialSlots ?? 1024;
    this.minDeadPrefix = options.minDeadPrefix ?? 4096;
    this.slots = new Slots(this.initialSlots);
  }

  get waitingCount(): number {
    return this.waiting;
  }

  get activeCount(): number {
    return this.active;
  }

  /** Slots currently allocated (what the columns cost is proportional to). */
  get slotCapacity(): number {
    return this.slots.capacity;
  }

  get(seq: number): LiveTicket | undefined {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT) return undefined;
    const s = this.slots;
    const waiting = s.status[slot] === WAITING;
    const lastPollMs = s.lastPollMs[slot];
    return {
      seq,
      token: s.token[slot] as string,
      userId: s.userId[slot],
      status: waiting ? 'WAITING' : 'ACTIVE',
      lastSeenMs: s.lastSeenMs[slot],
      lastPollMs: Number.isNaN(lastPollMs) ? null : lastPollMs,
      advisedPollMs: s.advisedPollMs[slot],
      expiresAtMs: waiting ? null : (this.admissions.get(seq)?.expiresAtMs ?? null),
    };
  }

  statusOf(seq: number): LiveStatus | undefined {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT) return undefined;
    return this.slots.status[slot] === WAITING ? 'WAITING' : 'ACTIVE';
  }

  byTokenValue(token: string): LiveTicket | undefined {
    const seq = this.seqByToken.get(token);
    return seq === undefined ? undefined : this.get(seq);
  }

  liveOf(userId: number): LiveTicket | undefined {
    const seq = this.seqByUser.get(userId);
    return seq === undefined ? undefined : this.get(seq);
  }

  /**
   * Adds a live ticket, ending the user's previous one. Waiting tickets must arrive in ascending
   * `seq`, active ones in ascending expiry.
   */
  add(t: NewLiveTicket): LiveTicket {
    const previous = this.seqByUser.get(t.userId);
    if (previous !== undefined && previous !== t.seq) this.end(previous);
    if (this.liveSlot(t.seq) !== NO_SLOT) throw new Error(`QueueState: seq ${t.seq} is already live`);
    const slot = this.claimSlot(t.seq);
    const s = this.slots;
    s.status[slot] = t.status === 'WAITING' ? WAITING : ACTIVE;
    s.userId[slot] = t.userId;
    s.createdAtMs[slot] = t.createdAtMs;
    s.lastSeenMs[slot] = t.seenAtMs;
    s.lastPollMs[slot] = NaN;
    s.advisedPollMs[slot] = 0;
    s.prevSeen[slot] = NO_SLOT;
    s.nextSeen[slot] = NO_SLOT;
    s.token[slot] = t.token;
    this.seqByToken.set(t.token, t.seq);
    this.seqByUser.set(t.userId, t.seq);
    if (t.status === 'WAITING') {
      if (slot < this.waitingFrom) this.waitingFrom = slot;
      this.ranks.add(t.seq);
      this.appendSeen(slot);
      this.waiting += 1;
    } else {
      this.admissions.set(t.seq, { expiresAtMs: t.expiresAtMs, pass: null });
      this.active += 1;
    }
    return this.get(t.seq) as LiveTicket;
  }

  /** 1-based place among waiting tickets; 0 unless waiting. */
  positionOf(seq: number): number {
    return this.statusOf(seq) === 'WAITING' ? this.ranks.countBefore(seq) + 1 : 0;
  }

  activate(seq: number, expiresAtMs: number): void {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT || this.slots.status[slot] !== WAITING) return;
    this.leaveWaiting(slot, seq);
    this.slots.status[slot] = ACTIVE;
    this.admissions.set(seq, { expiresAtMs, pass: null });
    this.active += 1;
    this.afterDeparture();
  }

  /** The ticket left the live set (left, expired, completed). Idempotent. */
  end(seq: number): void {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT) return;
    const s = this.slots;
    if (s.status[slot] === WAITING) this.leaveWaiting(slot, seq);
    else {
      this.admissions.delete(seq);
      this.active -= 1;
    }
    s.status[slot] = ENDED;
    const token = s.token[slot] as string;
    s.token[slot] = undefined;
    if (this.seqByToken.get(token) === seq) this.seqByToken.delete(token);
    if (this.seqByUser.get(s.userId[slot]) === seq) this.seqByUser.delete(s.userId[slot]);
    this.afterDeparture();
  }

  touch(seq: number, nowMs: number): void {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT) return;
    this.slots.lastSeenMs[slot] = nowMs;
    if (this.slots.status[slot] !== WAITING) return;
    this.unlinkSeen(slot);
    this.appendSeen(slot);
  }

  /** An answered poll: the next one is held to `advisedPollMs` from `atMs`. */
  recordPoll(seq: number, atMs: number, advisedPollMs: number): void {
    const slot = this.liveSlot(seq);
    if (slot === NO_SLOT) return;
    this.slots.lastPollMs[slot] = atMs;
    this.slots.advisedPollMs[slot] = advisedPollMs;
  }

  /** The active ticket's pass: minted by `mint` on first read, then the same one until the ticket ends. */
  passOf(seq: number, mint: () => string): string {
    const admission = this.admissions.get(seq);
    if (!admission) return mint();
    admission.pass ??= mint();
    return admission.pass;
  }

  /** Seqs of the first `n` waiting tickets in arrival order. */
  headWaiting(n: number): number[] {
    const out: number[] = [];
    const status = this.slots.status;
    for (let slot = this.waitingFrom; slot < this.used && out.length < n; slot++) {
      if (status[slot] === WAITING) out.push(this.base + slot);
    }
    return out;
  }

  /** Seqs of active tickets whose pass has expired at `nowMs`, in expiry order. */
  expiredActive(nowMs: number): number[] {
    const out: number[] = [];
    for (const [seq, admission] of this.admissions) {
      // A missing expiry counts as long past.
      if ((admission.expiresAtMs ?? 0) > nowMs) break;
      out.push(seq);
    }
    return out;
  }

  /** Seqs of waiting tickets last seen at or before `cutoffMs`, least recently seen first. */
  idleWaiting(cutoffMs: number): number[] {
    const out: number[] = [];
    const s = this.slots;
    for (let slot = this.seenHead; slot !== NO_SLOT && s.lastSeenMs[slot] <= cutoffMs; slot = s.nextSeen[slot]) out.push(this.base + slot);
    return out;
  }

  /** Arrival time of the first waiting ticket. */
  oldestWaitingSince(): number | null {
    const [first] = this.headWaiting(1);
    return first === undefined ? null : this.slots.createdAtMs[first - this.base];
  }

  private liveSlot(seq: number): number {
    const slot = seq - this.base;
    return slot >= 0 && slot < this.used && this.slots.status[slot] !== ENDED ? slot : NO_SLOT;
  }

  /** The slot for a new live `seq`, moving or growing the window when it does not reach that far. */
  private claimSlot(seq: number): number {
    if (this.waiting + this.active === 0) this.restartWindow(seq);
    if (seq < this.base) {
      // Only a rebuild adds out of order; move the window back to start at this seq.
      const span = this.base + this.used - seq;
      this.relocate(seq, this.capacityToHold(span));
    } else if (seq - this.base >= this.slots.capacity) {
      const span = seq - this.base - this.liveFrom + 1;
      this.relocate(this.base + this.liveFrom, this.capacityToHold(span));
    }
    const slot = seq - this.base;
    if (slot >= this.used) this.used = slot + 1;
    if (slot < this.liveFrom) this.liveFrom = slot;
    return slot;
  }

  /** Nothing is live: the next ticket starts the window afresh, and a window left large by a rush is given back. */
  private restartWindow(seq: number): void {
    if (this.slots.capacity > this.initialSlots) this.slots = new Slots(this.initialSlots);
    this.base = seq;
    this.used = 0;
    this.liveFrom = 0;
    this.waitingFrom = 0;
    this.seenHead = NO_SLOT;
    this.seenTail = NO_SLOT;
  }

  /** Room for `span` slots with a quarter to spare, so growth by shifting alone stays amortised O(1). */
  private capacityToHold(span: number): number {
    let capacity = this.slots.capacity;
    while (span > capacity * 0.75) capacity *= 2;
    return capacity;
  }

  /** Copies the live part of the window [liveFrom, used) into new columns starting at `newBase`. */
  private relocate(newBase: number, capacity: number): void {
    const shift = this.base - newBase;
    const next = new Slots(capacity);
    next.copyFrom(this.slots, this.liveFrom, this.used, shift);
    this.slots = next;
    this.base = newBase;
    this.waitingFrom = Math.max(this.waitingFrom, this.liveFrom) + shift;
    this.liveFrom += shift;
    this.used += shift;
    if (this.seenHead !== NO_SLOT) this.seenHead += shift;
    if (this.seenTail !== NO_SLOT) this.seenTail += shift;
  }

  private leaveWaiting(slot: number, seq: number): void {
    this.ranks.remove(seq);
    this.unlinkSeen(slot);
    this.waiting -= 1;
  }

  /** After a ticket stopped waiting or ended: skip the departed prefixes and let the window shrink. */
  private afterDeparture(): void {
    const status = this.slots.status;
    while (this.liveFrom < this.used && status[this.liveFrom] === ENDED) this.liveFrom++;
    while (this.waitingFrom < this.used && status[this.waitingFrom] !== WAITING) this.waitingFrom++;
    if (this.waitingFrom < this.used) this.ranks.compact(this.base + this.waitingFrom);
    if (this.liveFrom === 0 || this.liveFrom * 2 < this.used) return;
    // Moving costs the live span, which is at most the dead prefix dropped: amortised O(1).
    const span = this.used - this.liveFrom;
    let capacity = this.slots.capacity;
    while (capacity / 2 >= this.initialSlots && span * 4 <= capacity) capacity /= 2;
    if (this.liveFrom >= this.minDeadPrefix || capacity < this.slots.capacity) this.relocate(this.base + this.liveFrom, capacity);
  }

  private appendSeen(slot: number): void {
    const s = this.slots;
    s.prevSeen[slot] = this.seenTail;
    s.nextSeen[slot] = NO_SLOT;
    if (this.seenTail !== NO_SLOT) s.nextSeen[this.seenTail] = slot;
    else this.seenHead = slot;
    this.seenTail = slot;
  }

  private unlinkSeen(slot: number): void {
    const s = this.slots;
    const prev = s.prevSeen[slot];
    const next = s.nextSeen[slot];
    if (prev !== NO_SLOT) s.nextSeen[prev] = next;
    else if (this.seenHead === slot) this.seenHead = next;
    if (next !== NO_SLOT) s.prevSeen[next] = prev;
    else if (this.seenTail === slot) this.seenTail = prev;
    s.prevSeen[slot] = NO_SLOT;
    s.nextSeen[slot] = NO_SLOT;
  }
}
