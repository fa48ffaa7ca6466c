// Lamping–Veach jump consistent hash as carbon-c-relay and buckytools compute it (ring-spec §4.4):
// the 64-bit key is advanced with a linear congruential step and the next bucket is computed in
// double precision, j = floor((b + 1) * (2^31 / ((key >> 33) + 1))). 64-bit arithmetic is done on
// 32-bit halves so the hot path never touches BigInt.

// 2862933555777941757 = 0x27bb2ee6_87b0b0fd
const LCG_HI = 0x27bb2ee6;
const LCG_LO = 0x87b0b0fd;
// 2685821657736338717 = 0x2545f491_4f6cdd1d (xorshift64* multiplier)
const XS_HI = 0x2545f491;
const XS_LO = 0x4f6cdd1d;

// High word of the last mul64() result (the low word is returned).
let mulHi = 0;

/** (aHi:aLo * bHi:bLo) mod 2^64; returns the low word, leaves the high word in mulHi. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): number {
  // High word of the 32x32 product aLo * bLo from 16-bit pieces (each partial product < 2^32).
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hiOfLow = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mulHi = (hiOfLow + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) >>> 0;
  return Math.imul(aLo, bLo) >>> 0;
}

/** Bucket in [0, buckets) for the 64-bit key hi:lo. */
export function jumpBucket(hi: number, lo: number, buckets: number): number {
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    lo = mul64(hi, lo, LCG_HI, LCG_LO);
    hi = mulHi;
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
    j = Math.trunc((b + 1) * (2147483648 / ((hi >>> 1) + 1)));
  }
  return b;
}

/** One xorshift64* step on h = h[0]:h[1] (high, low), in place. */
export function xorshift64star(h: Uint32Array): void {
  let hi = h[0]!;
  let lo = h[1]!;
  // h ^= h >> 12
  lo = (lo ^ ((lo >>> 12) | (hi << 20))) >>> 0;
  hi = (hi ^ (hi >>> 12)) >>> 0;
  // h ^= h << 25
  hi = (hi ^ ((hi << 25) | (lo >>> 7))) >>> 0;
  lo = (lo ^ (lo << 25)) >>> 0;
  // h ^= h >> 27
  lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
  hi = (hi ^ (hi >>> 27)) >>> 0;
  h[1] = mul64(hi, lo, XS_HI, XS_LO);
  h[0] = mulHi;
}
