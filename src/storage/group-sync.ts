// Group commit for durability: many writers each need "these files and directories of mine are on
// disk" before they may report their work, and one sync round answers all of them at once. A caller
// waits for a round that STARTS after its call (a round already running may have missed its writes);
// every caller that arrives while one round runs shares the next one, whose paths are the union of
// theirs. The round itself is the driver's: locally parallel fsyncs (or one syncfs for a big round),
// on an ssh node one command that fsyncs them all. So N files cost one round trip per batch instead
// of N file syncs and N directory syncs, and no filesystem-wide flush of other programs' data is
// forced on a busy node.
export class GroupSync {
  private pending = new Set<string>();
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  /** Rounds run so far (for tests and benches). */
  rounds = 0;

  constructor(private readonly syncNow: (paths: string[]) => Promise<void>) {}

  /** Paths for the next round, which nobody waits for (it runs with the next barrier). */
  defer(paths: readonly string[]): void {
    for (const p of paths) this.pending.add(p);
  }

  /** Resolves once a sync round that began after this call, and covered `paths`, has completed. */
  barrier(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.pending.add(p);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    // Let the callers of this turn of the event loop join the first round.
    await new Promise((r) => setImmediate(r));
    while (this.waiters.length > 0) {
      const paths = [...this.pending];
      this.pending.clear();
      const batch = this.waiters.splice(0);
      this.rounds++;
      try {
        if (paths.length > 0) await this.syncNow(paths);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }
}
