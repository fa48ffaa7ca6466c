// A deterministic sample of routing keys, for rings whose keyspace cannot be enumerated (mmh3_ch's
// 32-bit positions, jump hash, carbon's fast-hashing router, or two rings hashing names differently).

/** Default sample size: 2^20 keys, standard error ≤ 0.05 percentage points for any share. */
export const DEFAULT_SAMPLE_SIZE = 1 << 20;

// murmur3's 32-bit finaliser: consecutive inputs give unrelated outputs.
function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The i-th sample key, e.g. "ringshift.sample.6a09e667.bb67ae85". Two independent 32-bit hex parts make
 * the keys random-looking to every ring hash (FNV-1a included, which mixes sequential numbers poorly).
 * ASCII only, so the signed-char FNV-1a variant hashes them as carbon does.
 */
export function sampleKey(i: number): string {
  const a = fmix32((i + 0x243f6a88) | 0);
  const b = fmix32((i + 0x9e3779b9) | 0);
  return `ringshift.sample.${a.toString(16).padStart(8, '0')}.${b.toString(16).padStart(8, '0')}`;
}

/** Largest standard error of a share estimated from `n` samples (p = 0.5). */
export function worstStandardError(n: number): number {
  return n > 0 ? Math.sqrt(0.25 / n) : 1;
}
