// Group commit for durability: many writers each need "everything I wrote so far is on disk" before
// they may report it, and one filesystem-wide sync answers all of them at once. A caller waits for a
// sync that STARTS after its call (a sync already running may have missed its writes); every caller
// that arrives while one sync runs shares the next one. So N files cost about one sync per batch
// instead of N file syncs and N directory syncs.
export class GroupSync {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** Syncs run so far (for tests and benches). */
  count = 0;

  constructor(private readonly syncNow: () => Promise<void>) {}

  /** Resolves once a sync that began after this call has completed (rejects with its error). */
  barrier(): Promise<void> {
    if (this.next !== null) return this.next;
    const before = this.running ?? Promise.resolve();
    const p: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        this.running = p;
        this.count++;
        return this.syncNow();
      })
      .finally(() => {
        if (this.running === p) this.running = null;
      });
    this.next = p;
    return p;
  }
}
