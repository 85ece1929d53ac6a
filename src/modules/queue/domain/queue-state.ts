import { SeqRank } from './seq-rank';

export type LiveStatus = 'WAITING' | 'ACTIVE';

/** A live queue token as the in-memory index holds it. */
export interface Ticket {
  seq: number;
  token: string;
  userId: number;
  status: LiveStatus | 'ENDED';
  createdAtMs: number;
  /** Last time the holder showed up (poll or repeated POST); waiting tokens idle past the limit are dropped. */
  lastSeenMs: number;
  /** Last answered poll and the interval advised then: the base of the polling discipline. */
  lastPollMs: number | null;
  advisedPollMs: number;
  /** ACTIVE only. */
  activatedAtMs: number | null;
  expiresAtMs: number | null;
  /** The signed pass, minted on first read. */
  pass: string | null;
  // Links of the "least recently seen" list of waiting tickets.
  prevSeen: Ticket | null;
  nextSeen: Ticket | null;
}

/**
 * The in-memory index of live tokens, kept in step with the database (it is changed only after
 * the transaction that made the change commits, and rebuilt from the database at start-up).
 * Everything a status poll needs is here, so a poll costs no query:
 * - position: `SeqRank` over the waiting tokens' arrival sequence (O(log n));
 * - FIFO head for admission: the waiting tickets in arrival order (departures skipped lazily);
 * - pass expiry: active tickets in expiry order;
 * - idle expiry: waiting tickets in least-recently-seen order (a touch moves one to the tail).
 */
export class QueueState {
  private readonly byToken = new Map<string, Ticket>();
  private readonly byUser = new Map<number, Ticket>();
  private readonly ranks = new SeqRank();
  private waitingOrder: Ticket[] = [];
  private waitingHead = 0;
  private activeOrder: Ticket[] = [];
  private activeHead = 0;
  private seenHead: Ticket | null = null;
  private seenTail: Ticket | null = null;
  private waiting = 0;
  private active = 0;

  get waitingCount(): number {
    return this.waiting;
  }

  get activeCount(): number {
    return this.active;
  }

  byTokenValue(token: string): Ticket | undefined {
    return this.byToken.get(token);
  }

  liveOf(userId: number): Ticket | undefined {
    return this.byUser.get(userId);
  }

  /** Adds a live ticket. Waiting tickets must arrive in ascending `seq`, active ones in ascending expiry. */
  add(ticket: Ticket): void {
    const previous = this.byUser.get(ticket.userId);
    if (previous && previous !== ticket) this.end(previous);
    this.byToken.set(ticket.token, ticket);
    this.byUser.set(ticket.userId, ticket);
    if (ticket.status === 'WAITING') {
      this.waitingOrder.push(ticket);
      this.ranks.add(ticket.seq);
      this.appendSeen(ticket);
      this.waiting += 1;
    } else if (ticket.status === 'ACTIVE') {
      this.activeOrder.push(ticket);
      this.active += 1;
    }
  }

  /** 1-based place among waiting tickets. */
  positionOf(ticket: Ticket): number {
    return ticket.status === 'WAITING' ? this.ranks.countBefore(ticket.seq) + 1 : 0;
  }

  activate(ticket: Ticket, atMs: number, expiresAtMs: number): void {
    if (ticket.status !== 'WAITING') return;
    this.leaveWaiting(ticket);
    ticket.status = 'ACTIVE';
    ticket.activatedAtMs = atMs;
    ticket.expiresAtMs = expiresAtMs;
    this.activeOrder.push(ticket);
    this.active += 1;
    this.compactOrders();
  }

  /** The ticket left the live set (left, expired, completed). Idempotent. */
  end(ticket: Ticket): void {
    if (ticket.status === 'ENDED') return;
    if (ticket.status === 'WAITING') this.leaveWaiting(ticket);
    else this.active -= 1;
    ticket.status = 'ENDED';
    if (this.byToken.get(ticket.token) === ticket) this.byToken.delete(ticket.token);
    if (this.byUser.get(ticket.userId) === ticket) this.byUser.delete(ticket.userId);
    this.compactOrders();
  }

  touch(ticket: Ticket, nowMs: number): void {
    ticket.lastSeenMs = nowMs;
    if (ticket.status !== 'WAITING') return;
    this.unlinkSeen(ticket);
    this.appendSeen(ticket);
  }

  /** The first `n` waiting tickets in arrival order. */
  headWaiting(n: number): Ticket[] {
    const out: Ticket[] = [];
    for (let i = this.waitingHead; i < this.waitingOrder.length && out.length < n; i++) {
      if (this.waitingOrder[i].status === 'WAITING') out.push(this.waitingOrder[i]);
    }
    return out;
  }

  /** Active tickets whose pass has expired at `nowMs`. */
  expiredActive(nowMs: number): Ticket[] {
    const out: Ticket[] = [];
    for (let i = this.activeHead; i < this.activeOrder.length; i++) {
      const t = this.activeOrder[i];
      if (t.status !== 'ACTIVE') continue;
      if ((t.expiresAtMs ?? 0) > nowMs) break;
      out.push(t);
    }
    return out;
  }

  /** Waiting tickets last seen at or before `cutoffMs`. */
  idleWaiting(cutoffMs: number): Ticket[] {
    const out: Ticket[] = [];
    for (let t = this.seenHead; t && t.lastSeenMs <= cutoffMs; t = t.nextSeen) out.push(t);
    return out;
  }

  /** Arrival time of the first waiting ticket. */
  oldestWaitingSince(): number | null {
    return this.headWaiting(1)[0]?.createdAtMs ?? null;
  }

  private leaveWaiting(ticket: Ticket): void {
    this.ranks.remove(ticket.seq);
    this.unlinkSeen(ticket);
    this.waiting -= 1;
  }

  private compactOrders(): void {
    while (this.waitingHead < this.waitingOrder.length && this.waitingOrder[this.waitingHead].status !== 'WAITING') this.waitingHead++;
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waitingOrder.length) {
      this.waitingOrder = this.waitingOrder.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    const first = this.waitingOrder[this.waitingHead];
    if (first) this.ranks.compact(first.seq);
    while (this.activeHead < this.activeOrder.length && this.activeOrder[this.activeHead].status !== 'ACTIVE') this.activeHead++;
    if (this.activeHead > 1024 && this.activeHead * 2 > this.activeOrder.length) {
      this.activeOrder = this.activeOrder.slice(this.activeHead);
      this.activeHead = 0;
    }
  }

  private appendSeen(ticket: Ticket): void {
    ticket.prevSeen = this.seenTail;
    ticket.nextSeen = null;
    if (this.seenTail) this.seenTail.nextSeen = ticket;
    else this.seenHead = ticket;
    this.seenTail = ticket;
  }

  private unlinkSeen(ticket: Ticket): void {
    if (ticket.prevSeen) ticket.prevSeen.nextSeen = ticket.nextSeen;
    else if (this.seenHead === ticket) this.seenHead = ticket.nextSeen;
    if (ticket.nextSeen) ticket.nextSeen.prevSeen = ticket.prevSeen;
    else if (this.seenTail === ticket) this.seenTail = ticket.prevSeen;
    ticket.prevSeen = null;
    ticket.nextSeen = null;
  }
}
