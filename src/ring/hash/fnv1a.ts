// FNV-1a, 32 and 64 bit, over the UTF-8 bytes of a string.
//
// Two byte conventions exist in the wild (ring-spec §4.2 and §9 pitfall 4): carbon, graphite-web and
// buckytools XOR each byte in as 0..255; carbon-c-relay reads `char`, which is signed on x86-64, so
// bytes 0x80..0xFF are sign-extended (0xFFFFFF80.. for 32 bit, all-ones high word for 64 bit). ASCII
// input hashes the same either way.
import { encodeUtf8, scratch } from './utf8.js';

const FNV32_OFFSET = 0x811c9dc5; // 2166136261
const FNV32_PRIME = 0x01000193; // 16777619

// 64-bit offset basis 14695981039346656037 = 0xcbf29ce484222325, prime 1099511628211 = 2^40 + 0x1b3.
const FNV64_OFFSET_HI = 0xcbf29ce4;
const FNV64_OFFSET_LO = 0x84222325;

/** 32-bit FNV-1a of raw bytes. */
export function fnv1a32OfBytes(b: Uint8Array, len: number, signedChars: boolean): number {
  let h = FNV32_OFFSET;
  if (signedChars) {
    for (let i = 0; i < len; i++) {
      const c = b[i]!;
      h = Math.imul(h ^ (c < 0x80 ? c : c | 0xffffff00), FNV32_PRIME);
    }
  } else {
    for (let i = 0; i < len; i++) h = Math.imul(h ^ b[i]!, FNV32_PRIME);
  }
  return h >>> 0;
}

/** 32-bit FNV-1a of the UTF-8 bytes of `s` (unsigned 0..2^32-1). */
export function fnv1a32(s: string, signedChars = false): number {
  let h = FNV32_OFFSET;
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    h = Math.imul(h ^ c, FNV32_PRIME);
  }
  if (i === n) return h >>> 0;
  // Non-ASCII: restart on the encoded bytes (the ASCII prefix is short compared with the encode).
  const len = encodeUtf8(s); // may replace the scratch buffer: read it after
  return fnv1a32OfBytes(scratch(), len, signedChars);
}

/** carbon's 16-bit fold of a 32-bit hash: (h >> 16) XOR (h & 0xFFFF). */
export function fold16(h: number): number {
  return ((h >>> 16) ^ (h & 0xffff)) >>> 0;
}

/** carbon / graphite-web / buckytools fnv1a_ch position (unsigned bytes). */
export function fnv1aPosition16(s: string): number {
  return fold16(fnv1a32(s, false));
}

/** carbon-c-relay fnv1a_ch position (signed chars, x86-64). */
export function fnv1aPosition16Signed(s: string): number {
  return fold16(fnv1a32(s, true));
}

/**
 * 64-bit FNV-1a of raw bytes, written to out[0] (high 32 bits) and out[1] (low 32 bits). Done in
 * 32-bit halves with integer operations only: h * (2^40 + 0x1b3) = h * 0x1b3 + (h << 40).
 */
export function fnv1a64OfBytesInto(b: Uint8Array, len: number, signedChars: boolean, out: Uint32Array): void {
  let hi = FNV64_OFFSET_HI | 0;
  let lo = FNV64_OFFSET_LO | 0;
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    if (c >= 0x80 && signedChars) {
      lo ^= c | 0xffffff00;
      hi = ~hi;
    } else {
      lo ^= c;
    }
    // h * 0x1b3 + (h << 40), mod 2^64; carry = high word of lo * 0x1b3, from 16-bit halves.
    const t0 = (lo & 0xffff) * 0x1b3;
    const t1 = (lo >>> 16) * 0x1b3;
    const carry = (t1 >>> 16) + (((t0 >>> 16) + (t1 & 0xffff)) >>> 16);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) | 0;
    lo = Math.imul(lo, 0x1b3);
  }
  out[0] = hi >>> 0;
  out[1] = lo >>> 0;
}

/** 64-bit FNV-1a of the UTF-8 bytes of `s`, into out[0] (high) and out[1] (low). */
export function fnv1a64Into(s: string, signedChars: boolean, out: Uint32Array): void {
  const n = s.length;
  let hi = FNV64_OFFSET_HI | 0;
  let lo = FNV64_OFFSET_LO | 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      const len = encodeUtf8(s); // may replace the scratch buffer: read it after
      fnv1a64OfBytesInto(scratch(), len, signedChars, out);
      return;
    }
    lo ^= c;
    const t0 = (lo & 0xffff) * 0x1b3;
    const t1 = (lo >>> 16) * 0x1b3;
    const carry = (t1 >>> 16) + (((t0 >>> 16) + (t1 & 0xffff)) >>> 16);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) | 0;
    lo = Math.imul(lo, 0x1b3);
  }
  out[0] = hi >>> 0;
  out[1] = lo >>> 0;
}

/** 64-bit FNV-1a as a BigInt (tests, tools; not the hot path). */
export function fnv1a64BigInt(s: string, signedChars = false): bigint {
  const out = new Uint32Array(2);
  fnv1a64Into(s, signedChars, out);
  return (BigInt(out[0]!) << 32n) | BigInt(out[1]!);
}
