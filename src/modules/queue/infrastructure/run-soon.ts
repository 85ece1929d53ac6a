/**
 * Runs `work` once, soon (on the next turn of the event loop), however often it is asked before it
 * starts: a freed slot kicks the admission cycle so the next in line does not wait for the timer.
 */
export class RunSoon {
  private pending = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.work().catch(this.onError);
    });
  }
}
