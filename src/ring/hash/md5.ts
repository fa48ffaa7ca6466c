// Pure-TypeScript MD5 for short strings (metric names, ring replica keys). Works on the shared UTF-8
// scratch buffer, keeps its state in plain numbers and allocates nothing per call; measured against
// node:crypto in bench/ring-lookup.ts. Only carbon_ch needs it, and carbon_ch only needs the first
// two digest bytes, but the whole digest is available for tests.
import { encodeUtf8, ensureScratch, scratch } from './utf8.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Running state (A, B, C, D) of the digest being computed.
let sA = 0;
let sB = 0;
let sC = 0;
let sD = 0;

let wordsOf: ArrayBufferLike | null = null;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);

function ff(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + ((b & c) | (~b & d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function gg(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + ((b & d) | (c & ~d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function hh(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + (b ^ c ^ d) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}
function ii(a: number, b: number, c: number, d: number, x: number, s: number, t: number): number {
  const n = (a + (c ^ (b | ~d)) + x + t) | 0;
  return (((n << s) | (n >>> (32 - s))) + b) | 0;
}

/** One 64-byte block starting at word `o` of `w` (little-endian words), folded into the state. */
function compress(w: Int32Array, o: number): void {
  const x0 = w[o]!, x1 = w[o + 1]!, x2 = w[o + 2]!, x3 = w[o + 3]!;
  const x4 = w[o + 4]!, x5 = w[o + 5]!, x6 = w[o + 6]!, x7 = w[o + 7]!;
  const x8 = w[o + 8]!, x9 = w[o + 9]!, x10 = w[o + 10]!, x11 = w[o + 11]!;
  const x12 = w[o + 12]!, x13 = w[o + 13]!, x14 = w[o + 14]!, x15 = w[o + 15]!;
  let a = sA;
  let b = sB;
  let c = sC;
  let d = sD;

  // RFC 1321 rounds, unrolled: round constants T[i] = floor(|sin(i + 1)| * 2^32).
  a = ff(a, b, c, d, x0, 7, 0xd76aa478);
  d = ff(d, a, b, c, x1, 12, 0xe8c7b756);
  c = ff(c, d, a, b, x2, 17, 0x242070db);
  b = ff(b, c, d, a, x3, 22, 0xc1bdceee);
  a = ff(a, b, c, d, x4, 7, 0xf57c0faf);
  d = ff(d, a, b, c, x5, 12, 0x4787c62a);
  c = ff(c, d, a, b, x6, 17, 0xa8304613);
  b = ff(b, c, d, a, x7, 22, 0xfd469501);
  a = ff(a, b, c, d, x8, 7, 0x698098d8);
  d = ff(d, a, b, c, x9, 12, 0x8b44f7af);
  c = ff(c, d, a, b, x10, 17, 0xffff5bb1);
  b = ff(b, c, d, a, x11, 22, 0x895cd7be);
  a = ff(a, b, c, d, x12, 7, 0x6b901122);
  d = ff(d, a, b, c, x13, 12, 0xfd987193);
  c = ff(c, d, a, b, x14, 17, 0xa679438e);
  b = ff(b, c, d, a, x15, 22, 0x49b40821);

  a = gg(a, b, c, d, x1, 5, 0xf61e2562);
  d = gg(d, a, b, c, x6, 9, 0xc040b340);
  c = gg(c, d, a, b, x11, 14, 0x265e5a51);
  b = gg(b, c, d, a, x0, 20, 0xe9b6c7aa);
  a = gg(a, b, c, d, x5, 5, 0xd62f105d);
  d = gg(d, a, b, c, x10, 9, 0x02441453);
  c = gg(c, d, a, b, x15, 14, 0xd8a1e681);
  b = gg(b, c, d, a, x4, 20, 0xe7d3fbc8);
  a = gg(a, b, c, d, x9, 5, 0x21e1cde6);
  d = gg(d, a, b, c, x14, 9, 0xc33707d6);
  c = gg(c, d, a, b, x3, 14, 0xf4d50d87);
  b = gg(b, c, d, a, x8, 20, 0x455a14ed);
  a = gg(a, b, c, d, x13, 5, 0xa9e3e905);
  d = gg(d, a, b, c, x2, 9, 0xfcefa3f8);
  c = gg(c, d, a, b, x7, 14, 0x676f02d9);
  b = gg(b, c, d, a, x12, 20, 0x8d2a4c8a);

  a = hh(a, b, c, d, x5, 4, 0xfffa3942);
  d = hh(d, a, b, c, x8, 11, 0x8771f681);
  c = hh(c, d, a, b, x11, 16, 0x6d9d6122);
  b = hh(b, c, d, a, x14, 23, 0xfde5380c);
  a = hh(a, b, c, d, x1, 4, 0xa4beea44);
  d = hh(d, a, b, c, x4, 11, 0x4bdecfa9);
  c = hh(c, d, a, b, x7, 16, 0xf6bb4b60);
  b = hh(b, c, d, a, x10, 23, 0xbebfbc70);
  a = hh(a, b, c, d, x13, 4, 0x289b7ec6);
  d = hh(d, a, b, c, x0, 11, 0xeaa127fa);
  c = hh(c, d, a, b, x3, 16, 0xd4ef3085);
  b = hh(b, c, d, a, x6, 23, 0x04881d05);
  a = hh(a, b, c, d, x9, 4, 0xd9d4d039);
  d = hh(d, a, b, c, x12, 11, 0xe6db99e5);
  c = hh(c, d, a, b, x15, 16, 0x1fa27cf8);
  b = hh(b, c, d, a, x2, 23, 0xc4ac5665);

  a = ii(a, b, c, d, x0, 6, 0xf4292244);
  d = ii(d, a, b, c, x7, 10, 0x432aff97);
  c = ii(c, d, a, b, x14, 15, 0xab9423a7);
  b = ii(b, c, d, a, x5, 21, 0xfc93a039);
  a = ii(a, b, c, d, x12, 6, 0x655b59c3);
  d = ii(d, a, b, c, x3, 10, 0x8f0ccc92);
  c = ii(c, d, a, b, x10, 15, 0xffeff47d);
  b = ii(b, c, d, a, x1, 21, 0x85845dd1);
  a = ii(a, b, c, d, x8, 6, 0x6fa87e4f);
  d = ii(d, a, b, c, x15, 10, 0xfe2ce6e0);
  c = ii(c, d, a, b, x6, 15, 0xa3014314);
  b = ii(b, c, d, a, x13, 21, 0x4e0811a1);
  a = ii(a, b, c, d, x4, 6, 0xf7537e82);
  d = ii(d, a, b, c, x11, 10, 0xbd3af235);
  c = ii(c, d, a, b, x2, 15, 0x2ad7d2bb);
  b = ii(b, c, d, a, x9, 21, 0xeb86d391);

  sA = (sA + a) | 0;
  sB = (sB + b) | 0;
  sC = (sC + c) | 0;
  sD = (sD + d) | 0;
}

/**
 * MD5 of the first `len` bytes of the scratch buffer, which must have 72 spare bytes after them
 * (encodeUtf8 guarantees that). The padding is written in place.
 */
function digestScratch(len: number): void {
  const buf = scratch();
  const total = (((len + 8) >>> 6) + 1) << 6; // padded length, a multiple of 64
  buf[len] = 0x80;
  buf.fill(0, len + 1, total - 8);
  const bitsLo = (len << 3) >>> 0;
  const bitsHi = Math.floor(len / 0x20000000);
  buf[total - 8] = bitsLo & 0xff;
  buf[total - 7] = (bitsLo >>> 8) & 0xff;
  buf[total - 6] = (bitsLo >>> 16) & 0xff;
  buf[total - 5] = bitsLo >>> 24;
  buf[total - 4] = bitsHi & 0xff;
  buf[total - 3] = (bitsHi >>> 8) & 0xff;
  buf[total - 2] = (bitsHi >>> 16) & 0xff;
  buf[total - 1] = bitsHi >>> 24;
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < total; i += 4) {
      const t0 = buf[i]!;
      const t1 = buf[i + 1]!;
      buf[i] = buf[i + 3]!;
      buf[i + 1] = buf[i + 2]!;
      buf[i + 2] = t1;
      buf[i + 3] = t0;
    }
  }
  if (wordsOf !== buf.buffer) {
    wordsOf = buf.buffer;
    words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  }
  sA = 0x67452301;
  sB = 0xefcdab89 | 0;
  sC = 0x98badcfe | 0;
  sD = 0x10325476;
  const nwords = total >>> 2;
  for (let o = 0; o < nwords; o += 16) compress(words, o);
}

/** carbon_ch position: the first two MD5 bytes of the UTF-8 string, big-endian (0..65535). */
export function md5Position16(s: string): number {
  digestScratch(encodeUtf8(s));
  return ((sA & 0xff) << 8) | ((sA >>> 8) & 0xff);
}

/**
 * Same, for raw bytes (c-relay hashes byte strings, e.g. keys cut at 255 bytes). The bytes are copied
 * to the scratch buffer first.
 */
export function md5Position16OfBytes(bytes: Uint8Array, len = bytes.length): number {
  const buf = ensureScratch(len + 72);
  buf.set(bytes.subarray(0, len), 0);
  digestScratch(len);
  return ((sA & 0xff) << 8) | ((sA >>> 8) & 0xff);
}

/** Full MD5 digest of a string's UTF-8 bytes as lowercase hex (tests and tools; not the hot path). */
export function md5Hex(s: string): string {
  digestScratch(encodeUtf8(s));
  return stateHex();
}

/** Full MD5 digest of raw bytes as lowercase hex. */
export function md5HexOfBytes(bytes: Uint8Array): string {
  const buf = ensureScratch(bytes.length + 72);
  buf.set(bytes, 0);
  digestScratch(bytes.length);
  return stateHex();
}

function stateHex(): string {
  let out = '';
  for (const v of [sA, sB, sC, sD]) {
    for (let k = 0; k < 4; k++) out += ((v >>> (8 * k)) & 0xff).toString(16).padStart(2, '0');
  }
  return out;
}
