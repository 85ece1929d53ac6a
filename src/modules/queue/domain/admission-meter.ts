const WINDOW_MS = 1000;
const HISTORY_MS = 60_000;
/** Time constant of the admission-rate moving average. */
const RATE_TAU_MS = 30_000;
/** Samples shorter than this are pooled with the next, so one burst tick does not swing the average. */
const MIN_SAMPLE_MS = 1000;

/**
 * Admission flow control and observation, all on the injected clock:
 * - a hard cap: never more than `perSecond` admissions in any 1-second window (sliding log);
 * - pacing: a token bucket (capacity `perSecond`) spreads admissions over the second instead of
 *   letting the whole second's quota go in one tick;
 * - the observed admission rate as an exponential moving average, sampled only while people
 *   were left waiting (otherwise demand, not supply, limited admissions);
 * - admissions in the last minute, for operators.
 */
export class AdmissionMeter {
  private readonly batches: Array<{ atMs: number; count: number }> = [];
  private bucket: number | null = null;
  private bucketAtMs = 0;
  private rate: number | null = null;
  private sampleStartMs: number | null = null;
  private sampled = 0;

  /** How many may be admitted now without breaking the per-second cap or the pacing. */
  allowance(nowMs: number, perSecond: number): number {
    this.refill(nowMs, perSecond);
    const inWindow = this.countSince(nowMs - WINDOW_MS);
    return Math.max(0, Math.min(perSecond - inWindow, Math.floor(this.bucket ?? perSecond)));
  }

  record(atMs: number, count: number, perSecond: number): void {
    if (count <= 0) return;
    this.refill(atMs, perSecond);
    this.bucket = Math.max(0, (this.bucket ?? perSecond) - count);
    const last = this.batches[this.batches.length - 1];
    if (last && last.atMs === atMs) last.count += count;
    else this.batches.push({ atMs, count });
    this.prune(atMs);
  }

  /** Restores the recent history after a restart (admission times read from the database). */
  restore(admittedAtMs: number[], nowMs: number, perSecond: number): void {
    this.batches.length = 0;
    for (const at of [...admittedAtMs].sort((a, b) => a - b)) {
      const last = this.batches[this.batches.length - 1];
      if (last && last.atMs === at) last.count += 1;
      else this.batches.push({ atMs: at, count: 1 });
    }
    this.prune(nowMs);
    this.bucket = Math.max(0, perSecond - this.countSince(nowMs - WINDOW_MS));
    this.bucketAtMs = nowMs;
  }

  /**
   * Feeds the moving average after an admission round. `backlog` says whether anyone was still
   * waiting afterwards: only then did capacity or the rate limit, not demand, set the pace.
   */
  observe(nowMs: number, admitted: number, backlog: boolean, perSecond: number): void {
    if (!backlog || this.sampleStartMs === null || nowMs < this.sampleStartMs) {
      this.sampleStartMs = nowMs;
      this.sampled = 0;
      return;
    }
    this.sampled += admitted;
    const elapsed = nowMs - this.sampleStartMs;
    if (elapsed < MIN_SAMPLE_MS) return;
    const instant = this.sampled / (elapsed / 1000);
    const alpha = 1 - Math.exp(-elapsed / RATE_TAU_MS);
    // Before any observation the configured rate is the prior the average starts from.
    const previous = this.rate ?? perSecond;
    this.rate = previous + alpha * (instant - previous);
    this.sampleStartMs = nowMs;
    this.sampled = 0;
  }

  /**
   * Admissions per second to expect: the moving average, never above the configured rate and
   * never below `floor` (slots free at least as passes expire). Before any observation, the
   * configured rate.
   */
  expectedRate(perSecond: number, floor: number): number {
    const observed = this.rate ?? perSecond;
    return Math.min(perSecond, Math.max(floor, observed));
  }

  admissionsInLastMinute(nowMs: number): number {
    return this.countSince(nowMs - HISTORY_MS);
  }

  private refill(nowMs: number, perSecond: number): void {
    if (this.bucket === null) {
      this.bucket = perSecond;
      this.bucketAtMs = nowMs;
      return;
    }
    const elapsed = Math.max(0, nowMs - this.bucketAtMs);
    this.bucket = Math.min(perSecond, this.bucket + (elapsed * perSecond) / 1000);
    this.bucketAtMs = Math.max(this.bucketAtMs, nowMs);
  }

  private countSince(exclusiveStartMs: number): number {
    let total = 0;
    for (let i = this.batches.length - 1; i >= 0 && this.batches[i].atMs > exclusiveStartMs; i--) total += this.batches[i].count;
    return total;
  }

  private prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.batches.length && this.batches[drop].atMs <= nowMs - HISTORY_MS) drop++;
    if (drop > 0) this.batches.splice(0, drop);
  }
}
