// The --bwlimit token bucket on a simulated clock: its long-run rate, its burst, the order it serves
// waiters in, and requests bigger than the burst. No real time passes, so nothing here depends on load.
import { describe, expect, it } from 'vitest';
import { TokenBucket, type BucketClock } from '../src/apply/token-bucket.js';

/** A clock whose sleeps advance simulated time at once; records every sleep. */
function fakeClock(): BucketClock & { t: number; sleeps: number[] } {
  const c = {
    t: 1000,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('TokenBucket (simulated clock)', () => {
  it('passes bytes at the configured rate once the burst is spent', async () => {
    const clock = fakeClock();
    const rate = 1_000_000; // 1 MB/s: burst = 250 kB
    const b = new TokenBucket(rate, clock);
    const start = clock.t;
    let sent = 0;
    for (let i = 0; i < 100; i++) {
      await b.take(65_536);
      sent += 65_536;
    }
    const seconds = (clock.t - start) / 1000;
    // Everything but the initial burst was paid for in time: (sent - burst) / rate seconds, exactly.
    expect(seconds).toBeCloseTo((sent - rate / 4) / rate, 6);
    expect(sent / seconds).toBeGreaterThan(rate);
    expect(sent / seconds).toBeLessThan(rate * 1.05);
  });

  it('a request within the burst does not wait; the next one waits for its deficit only', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(40_000, clock); // burst: 16 KiB (the floor; rate / 4 is less)
    await b.take(16 * 1024);
    expect(clock.sleeps).toEqual([]);
    await b.take(10_000);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeCloseTo(250, 6); // 10 000 bytes at 40 kB/s
  });

  it('idle time refills no more than the burst', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(40_000, clock);
    await b.take(16 * 1024);
    clock.t += 3_600_000; // an hour idle
    await b.take(16 * 1024);
    expect(clock.sleeps).toEqual([]);
    await b.take(50_000);
    expect(clock.sleeps[0]).toBeCloseTo(1250, 6);
  });

  it('a request larger than the burst waits for its whole size', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(40_000, clock);
    await b.take(16 * 1024 + 300_000);
    expect(clock.sleeps).toEqual([7500]);
  });

  it('serves waiters in the order they asked', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(40_000, clock);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => b.take(20_000).then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4]);
    // 80 000 bytes with a 16 KiB burst: (80 000 - 16 384) / 40 000 s in all.
    expect(clock.sleeps.reduce((a, x) => a + x, 0)).toBeCloseTo(((80_000 - 16_384) / 40_000) * 1000, 6);
  });
});
