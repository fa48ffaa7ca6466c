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

/** One 64-byte block starting at word `o` of `w` (little-endian words), folded into the state. */
function compress(w: Int32Array, o: number): void {
  const x0 = w[o]!,
    x1 = w[o + 1]!,
    x2 = w[o + 2]!,
    x3 = w[o + 3]!;
  const x4 = w[o + 4]!,
    x5 = w[o + 5]!,
    x6 = w[o + 6]!,
    x7 = w[o + 7]!;
  const x8 = w[o + 8]!,
    x9 = w[o + 9]!,
    x10 = w[o + 10]!,
    x11 = w[o + 11]!;
  const x12 = w[o + 12]!,
    x13 = w[o + 13]!,
    x14 = w[o + 14]!,
    x15 = w[o + 15]!;
  let a = sA;
  let b = sB;
  let c = sC;
  let d = sD;

  // RFC 1321 rounds, unrolled and inlined (helper calls exceed V8's inlining budget):
  // a = b + ((a + F(b, c, d) + x[k] + T[i]) <<< s), T[i] = floor(|sin(i + 1)| * 2^32) as int32.
  a = (a + ((b & c) | (~b & d)) + x0 - 680876936) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x1 - 389564586) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x3 - 1044525330) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x4 - 176418897) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x6 - 1473231341) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x7 - 45705983) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x9 - 1958414417) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x10 - 42063) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x11 - 1990404162) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + x13 - 40341101) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + x14 - 1502002290) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;

  a = (a + ((b & d) | (c & ~d)) + x1 - 165796510) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x6 - 1069501632) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x0 - 373897302) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x5 - 701558691) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x15 - 660478335) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x4 - 405537848) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x14 - 1019803690) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x3 - 187363961) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + x13 - 1444681467) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + x2 - 51403784) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + x12 - 1926607734) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;

  a = (a + (b ^ c ^ d) + x5 - 378558) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x8 - 2022574463) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x14 - 35309556) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x1 - 1530992060) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x7 - 155497632) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x10 - 1094730640) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x0 - 358537222) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x3 - 722521979) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + x9 - 640364487) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + x12 - 421815835) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + x2 - 995338651) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;

  a = (a + (c ^ (b | ~d)) + x0 - 198630844) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x14 - 1416354905) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x5 - 57434055) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x3 - 1894986606) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x10 - 1051523) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x1 - 2054922799) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x15 - 30611744) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x6 - 1560198380) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + x4 - 145523070) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + x11 - 1120210379) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + x9 - 343485551) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;

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
  const nwords = total >>> 2;
  if (wordsOf !== buf.buffer) {
    wordsOf = buf.buffer;
    words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  }
  buf[len] = 0x80;
  if (LITTLE_ENDIAN) {
    let z = len + 1;
    while ((z & 3) !== 0) buf[z++] = 0;
    const w = words;
    for (let k = z >>> 2; k < nwords - 2; k++) w[k] = 0;
    w[nwords - 2] = len << 3; // bit length, little-endian 64 bit
    w[nwords - 1] = len >>> 29;
  } else {
    buf.fill(0, len + 1, total - 8);
    const bitsLo = (len << 3) >>> 0;
    const bitsHi = len >>> 29;
    for (let k = 0; k < 4; k++) {
      buf[total - 8 + k] = (bitsLo >>> (8 * k)) & 0xff;
      buf[total - 4 + k] = (bitsHi >>> (8 * k)) & 0xff;
    }
    // Words are read through an Int32Array: swap each group of 4 bytes on big-endian hosts.
    for (let i = 0; i < total; i += 4) {
      const t0 = buf[i]!;
      const t1 = buf[i + 1]!;
      buf[i] = buf[i + 3]!;
      buf[i + 1] = buf[i + 2]!;
      buf[i + 2] = t1;
      buf[i + 3] = t0;
    }
  }
  sA = 0x67452301;
  sB = 0xefcdab89 | 0;
  sC = 0x98badcfe | 0;
  sD = 0x10325476;
  const w = words;
  for (let o = 0; o < nwords; o += 16) compress(w, o);
}

// Message words for the ASCII fast path (grown on demand).
let asciiWords = new Int32Array(64);

/**
 * MD5 of an ASCII string straight from its char codes into little-endian message words (no byte
 * buffer, no fill): 4 chars per store. Returns false, having done nothing useful, on the first
 * non-ASCII char.
 */
function digestAscii(s: string): boolean {
  const n = s.length;
  const nwords = (((n + 8) >>> 6) + 1) << 4;
  if (asciiWords.length < nwords) asciiWords = new Int32Array(nwords * 2);
  const w = asciiWords;
  const full = n & ~3;
  let k = 0;
  for (let i = 0; i < full; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) return false;
    w[k++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  const rest = n & 3;
  let last = 0x80 << (rest << 3); // the padding bit right after the message
  for (let t = 0; t < rest; t++) {
    const c = s.charCodeAt(full + t);
    if (c >= 0x80) return false;
    last |= c << (t << 3);
  }
  w[k++] = last;
  while (k < nwords - 2) w[k++] = 0;
  w[nwords - 2] = n << 3; // bit length, low word (strings are far below 2^29 chars)
  w[nwords - 1] = n >>> 29;
  sA = 0x67452301;
  sB = 0xefcdab89 | 0;
  sC = 0x98badcfe | 0;
  sD = 0x10325476;
  for (let o = 0; o < nwords; o += 16) compress(w, o);
  return true;
}

/**
 * MD5 of the bytes buf[start, end) packed straight into little-endian message words (4 bytes per
 * store, no copy to the scratch buffer): the entry point for byte-level readers.
 */
function digestRange(buf: Uint8Array, start: number, end: number): void {
  const n = end - start;
  const nwords = (((n + 8) >>> 6) + 1) << 4;
  if (asciiWords.length < nwords) asciiWords = new Int32Array(nwords * 2);
  const w = asciiWords;
  const full = start + (n & ~3);
  let k = 0;
  let i = start;
  for (; i < full; i += 4) w[k++] = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
  let last = 0x80 << ((n & 3) << 3); // the padding bit right after the message
  for (let t = 0; i < end; i++, t += 8) last |= buf[i]! << t;
  w[k++] = last;
  while (k < nwords - 2) w[k++] = 0;
  w[nwords - 2] = n << 3; // bit length, low word
  w[nwords - 1] = n >>> 29;
  sA = 0x67452301;
  sB = 0xefcdab89 | 0;
  sC = 0x98badcfe | 0;
  sD = 0x10325476;
  for (let o = 0; o < nwords; o += 16) compress(w, o);
}

/** carbon_ch position: the first two MD5 bytes of the UTF-8 string, big-endian (0..65535). */
export function md5Position16(s: string): number {
  if (!digestAscii(s)) digestScratch(encodeUtf8(s));
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

/** carbon_ch position of the raw bytes buf[start, end) (byte-level readers: no string, no copy). */
export function md5Position16OfRange(buf: Uint8Array, start: number, end: number): number {
  digestRange(buf, start, end);
  return ((sA & 0xff) << 8) | ((sA >>> 8) & 0xff);
}

/** Full MD5 digest of buf[start, end) as lowercase hex (tests). */
export function md5HexOfRange(buf: Uint8Array, start: number, end: number): string {
  digestRange(buf, start, end);
  return stateHex();
}

/** Full MD5 digest of a string's UTF-8 bytes as lowercase hex (tests and tools; not the hot path). */
export function md5Hex(s: string): string {
  if (!digestAscii(s)) digestScratch(encodeUtf8(s));
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
