// --bwlimit: one token bucket shared by every transfer of the job (bytes read from sources and written
// to destinations). Tokens refill continuously at `rate` bytes per second up to a quarter second's
// worth (at least 16 KiB), so bursts stay short; waiters are served in order. Actions pay BEFORE a transfer and never
// while they hold a lock, so a throttled job never makes carbon-cache wait. The rate is parsed by
// src/units.ts (parseByteRate: a unit is required).
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private tail: Promise<void> = Promise.resolve();
  private readonly burst: number;

  constructor(readonly rate: number) {
    this.burst = Math.max(16 * 1024, rate / 4);
    this.tokens = this.burst;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Wait until `n` bytes may pass (a request larger than the burst waits for its whole size). */
  take(n: number): Promise<void> {
    const turn = this.tail.then(async () => {
      this.refill();
      this.tokens -= n;
      if (this.tokens < 0) {
        await new Promise((r) => setTimeout(r, (-this.tokens / this.rate) * 1000));
        this.refill();
      }
    });
    this.tail = turn;
    return turn;
  }
}
