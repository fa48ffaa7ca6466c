// MurmurHash3_x86_32 with seed 0 over UTF-8 bytes, returned signed, exactly like Python's
// mmh3.hash(str) that carbon's mmh3_ch uses (ring-spec §2.2: range -2^31..2^31-1, not 16 bit).
import { encodeUtf8, scratch } from './utf8.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function mmh3OfBytes(b: Uint8Array, len: number, seed = 0): number {
  let h = seed | 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail !== 0) {
    let k = b[blocks]!;
    if (tail > 1) k ^= b[blocks + 1]! << 8;
    if (tail > 2) k ^= b[blocks + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** mmh3.hash(s): signed 32-bit MurmurHash3_x86_32, seed 0. */
export function mmh3Hash(s: string): number {
  const len = encodeUtf8(s); // may replace the scratch buffer: read it after
  return mmh3OfBytes(scratch(), len);
}
