// --bwlimit: one token bucket shared by every transfer of the job (bytes read from sources and written
// to destinations by fills, bytes streamed by copies). Tokens refill continuously at `rate` bytes per
// second up to a quarter second's worth, so bursts stay short; waiters are served in order.
import { UsageError } from '../errors.js';

export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private tail: Promise<void> = Promise.resolve();
  private readonly burst: number;

  constructor(readonly rate: number) {
    this.burst = Math.max(64 * 1024, rate / 4);
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

/**
 * Parse a rate like rsync's --bwlimit: a number of KiB/s, or with a suffix K/M/G (powers of 1024) or
 * KB/MB/GB (powers of 1000), optionally followed by "/s". Returns bytes per second.
 */
export function parseRate(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)(i?b?)(?:\/s)?\s*$/i.exec(text);
  if (m === null)
    throw new UsageError(`cannot read rate ${JSON.stringify(text)}`, {
      expected: 'a number of KiB/s, or e.g. 500K, 20M, 1G (1024-based), 20MB (1000-based), 20MiB',
    });
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const decimal = m[3]!.toLowerCase() === 'b';
  const base = decimal ? 1000 : 1024;
  const mult = unit === '' ? 1024 : unit === 'k' ? base : unit === 'm' ? base ** 2 : base ** 3;
  const rate = n * mult;
  if (!(rate >= 1024)) throw new UsageError(`rate ${JSON.stringify(text)} is below 1 KiB/s`, { expected: 'at least 1K' });
  return rate;
}
