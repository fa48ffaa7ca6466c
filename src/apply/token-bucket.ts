// --bwlimit: one token bucket shared by every transfer of the job (bytes read from sources and written
// to destinations). Tokens refill continuously at `rate` bytes per second up to a quarter second's
// worth (at least 16 KiB), so bursts stay short; waiters are served in order. Actions pay BEFORE a transfer and never
// while they hold a lock, so a throttled job never makes carbon-cache wait. The rate is parsed by
// src/units.ts (parseByteRate: a unit is required). The clock is injectable so its rate can be tested
// without waiting on the real one.

/** What the bucket reads time from and waits with (milliseconds). */
export interface BucketClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: BucketClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly burst: number;

  constructor(
    readonly rate: number,
    private readonly clock: BucketClock = realClock,
  ) {
    this.burst = Math.max(16 * 1024, rate / 4);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Wait until `n` bytes may pass (a request larger than the burst waits for its whole size). */
  take(n: number): Promise<void> {
    const turn = this.tail.then(async () => {
      this.refill();
      this.tokens -= n;
      if (this.tokens < 0) {
        await this.clock.sleep((-this.tokens / this.rate) * 1000);
        this.refill();
      }
    });
    this.tail = turn;
    return turn;
  }
}
