/** A window this small is kept even when the queue is (nearly) empty. */
const SMALL_CAPACITY = 1024;

/**
 * Counts how many members of a set of arrival sequence numbers are smaller than a given one, in
 * O(log n): a Fenwick (binary indexed) tree over `seq - base`. This is what makes a waiting
 * user's position cost the same with 100 000 waiting as with 10: no scan of the queue.
 *
 * Sequence numbers only grow, so members are added at the right end; they leave from anywhere
 * (admitted, left, idle). The window [base, base + capacity) slides forward as the head advances.
 */
export class SeqRank {
  private present: Uint8Array;
  private tree: Int32Array;
  private base = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.present = new Uint8Array(initialCapacity);
    this.tree = new Int32Array(initialCapacity + 1);
  }

  get size(): number {
    return this.count;
  }

  has(seq: number): boolean {
    const i = seq - this.base;
    return i >= 0 && i < this.present.length && this.present[i] === 1;
  }

  add(seq: number): void {
    if (this.count === 0) this.reset(seq);
    if (seq < this.base) throw new Error(`SeqRank: seq ${seq} is below the window base ${this.base}`);
    if (this.has(seq)) return;
    if (seq - this.base >= this.present.length) this.resize(seq);
    this.present[seq - this.base] = 1;
    this.update(seq - this.base + 1, 1);
    this.count += 1;
  }

  remove(seq: number): void {
    if (!this.has(seq)) return;
    this.present[seq - this.base] = 0;
    this.update(seq - this.base + 1, -1);
    this.count -= 1;
  }

  /** How many members are strictly smaller than `seq`. */
  countBefore(seq: number): number {
    let i = Math.min(seq - this.base, this.present.length);
    let sum = 0;
    while (i > 0) {
      sum += this.tree[i];
      i -= i & -i;
    }
    return sum;
  }

  /**
   * Drops the window below `lowestMember` (the smallest member) once the dead prefix is large,
   * so memory follows the live queue rather than every token ever issued. Amortised O(1).
   */
  compact(lowestMember: number): void {
    const shift = lowestMember - this.base;
    if (shift < this.present.length / 2) return;
    // Give space back as well once what is left fits in a quarter, so a drained rush keeps no large window.
    const remaining = this.present.length - shift;
    let capacity = this.present.length;
    while (capacity / 2 >= SMALL_CAPACITY && remaining * 4 <= capacity) capacity /= 2;
    if (shift < 4096 && capacity === this.present.length) return;
    const next = new Uint8Array(capacity);
    next.set(this.present.subarray(shift));
    this.base = lowestMember;
    this.present = next;
    this.rebuild();
  }

  private reset(seq: number): void {
    this.base = seq;
    if (this.present.length > SMALL_CAPACITY) {
      // The queue emptied: start small again instead of clearing a large window.
      this.present = new Uint8Array(SMALL_CAPACITY);
      this.tree = new Int32Array(SMALL_CAPACITY + 1);
    } else {
      this.present.fill(0);
      this.tree.fill(0);
    }
  }

  private resize(seq: number): void {
    let capacity = this.present.length;
    while (seq - this.base >= capacity) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.present);
    this.present = next;
    this.tree = new Int32Array(capacity + 1);
    this.rebuild();
  }

  /** Linear-time construction of the tree from `present`. */
  private rebuild(): void {
    const n = this.present.length;
    if (this.tree.length !== n + 1) this.tree = new Int32Array(n + 1);
    else this.tree.fill(0);
    for (let i = 1; i <= n; i++) {
      this.tree[i] += this.present[i - 1];
      const parent = i + (i & -i);
      if (parent <= n) this.tree[parent] += this.tree[i];
    }
  }

  private update(index: number, delta: number): void {
    const n = this.present.length;
    for (let i = index; i <= n; i += i & -i) this.tree[i] += delta;
  }
}
