// Questions to a node's work shell (which file is this, what is its sha256) come from many copies at
// once. Each costs a process on the node, and the shell answers one command at a time, so asking per
// file makes the shell the bottleneck of a busy job. A batcher sends at most one command at a time:
// everything asked while it runs goes out together in the next one (the group commit pattern), so a
// quiet job waits one round trip and a busy one pays one process per batch, not per file.
export class ShellBatcher<Q, A> {
  private queue: { q: Q; resolve: (a: A) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /** `answer` gets the questions of one batch (at most `max`) and returns their answers in the same order. */
  constructor(
    private readonly answer: (qs: Q[]) => Promise<A[]>,
    private readonly max = 256,
  ) {}

  ask(q: Q): Promise<A> {
    return new Promise((resolve, reject) => {
      this.queue.push({ q, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    // The callers of this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.max);
      try {
        const answers = await this.answer(batch.map((b) => b.q));
        batch.forEach((b, i) => b.resolve(answers[i]!));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
  }
}
