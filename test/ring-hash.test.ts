import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fnv1a32,
  fnv1a32OfBytes,
  fnv1a64BigInt,
  fnv1a64Into,
  fnv1a64OfBytesInto,
  fnv1aPosition16,
  fnv1aPosition16Signed,
  fold16,
} from '../src/ring/hash/fnv1a.js';
import { jumpBucket, xorshift64star } from '../src/ring/hash/jump.js';
import { md5Hex, md5HexOfBytes, md5Position16, md5Position16OfBytes } from '../src/ring/hash/md5.js';
import { mmh3Hash, mmh3OfBytes } from '../src/ring/hash/mmh3.js';

// Independent BigInt reference implementations, written from the published algorithm descriptions,
// to cross-check the 32-bit-halves arithmetic.
const M64 = (1n << 64n) - 1n;
function refFnv64(s: string, signed: boolean): bigint {
  let h = 14695981039346656037n;
  for (const b of Buffer.from(s, 'utf8')) {
    const v = signed && b >= 0x80 ? (BigInt(b) | 0xffffffffffffff00n) & M64 : BigInt(b);
    h = ((h ^ v) * 1099511628211n) & M64;
  }
  return h;
}
function refJump(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & M64;
    j = BigInt(Math.trunc(Number(b + 1n) * (2 ** 31 / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}
function refXorshift(h: bigint): bigint {
  h ^= h >> 12n;
  h = (h ^ (h << 25n)) & M64;
  h ^= h >> 27n;
  return (h * 2685821657736338717n) & M64;
}
function refFnv32(s: string, signed: boolean): number {
  let h = 2166136261;
  for (const b of Buffer.from(s, 'utf8')) {
    const v = signed && b >= 0x80 ? (b | 0xffffff00) >>> 0 : b;
    h = Number((BigInt((h ^ v) >>> 0) * 16777619n) & 0xffffffffn);
  }
  return h;
}

// Deterministic nasty strings: ASCII, controls, quotes, non-ASCII of every UTF-8 length, long names.
function sampleStrings(): string[] {
  const out = ['', 'a', 'servers.web01.cpu.user', 'x.é', "it's", 'tab\there', '\u0000\u0001\u007f', '☃.Δt', '🚀🚀', 'サーバー'];
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = ['a', 'Z', '0', '.', ';', '=', ' ', '\t', '\\', "'", '"', 'é', 'ß', '指', '🚀', '\u200b', '\udc00'];
  for (let n = 0; n < 400; n++) {
    const len = Math.floor(rnd() * (n % 7 === 0 ? 300 : 70));
    let s = '';
    for (let i = 0; i < len; i++)
      s += rnd() < 0.7 ? String.fromCharCode(97 + Math.floor(rnd() * 26)) : alphabet[Math.floor(rnd() * alphabet.length)];
    out.push(s);
  }
  return out;
}

describe('md5', () => {
  it('matches node:crypto on short, long (multi-block) and non-ASCII strings', () => {
    for (const s of sampleStrings()) {
      expect(md5Hex(s)).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
    }
  });
  it('matches node:crypto at every length around the block boundaries', () => {
    for (let n = 0; n < 200; n++) {
      const s = 'x'.repeat(n);
      expect(md5Hex(s)).toBe(createHash('md5').update(s).digest('hex'));
      const bytes = new Uint8Array(n).map((_, i) => (i * 37) & 0xff);
      expect(md5HexOfBytes(bytes)).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(md5Position16OfBytes(bytes)).toBe(createHash('md5').update(bytes).digest().readUInt16BE(0));
    }
  });
  it('gives the ring-spec §2.2 positions', () => {
    expect(md5Position16("('10.0.0.1', 'a'):0")).toBe(31534);
    expect(md5Position16("('cache-03.example.com', None):17")).toBe(38111);
    expect(md5Position16('servers.web01.cpu.user')).toBe(28773);
  });
});

describe('fnv1a 32', () => {
  it('gives the ring-spec §2.2 / §4.2 positions', () => {
    expect(fnv1aPosition16('0-a')).toBe(52678);
    expect(fnv1aPosition16('0-None')).toBe(18379);
    expect(fnv1a32('servers.web01.cpu.user')).toBe(0x11ee4975);
    expect(fnv1aPosition16('servers.web01.cpu.user')).toBe(22683);
    expect(fnv1aPosition16('x.é')).toBe(17480);
    expect(fnv1aPosition16Signed('x.é')).toBe(57252);
    expect(fnv1aPosition16Signed('servers.web01.cpu.user')).toBe(22683);
  });
  it('matches a BigInt reference for both byte conventions', () => {
    for (const s of sampleStrings()) {
      expect(fnv1a32(s, false)).toBe(refFnv32(s, false));
      expect(fnv1a32(s, true)).toBe(refFnv32(s, true));
      expect(fold16(fnv1a32(s))).toBe(fnv1aPosition16(s));
    }
  });
});

describe('fnv1a 64 and jump', () => {
  it('gives the ring-spec §4.4 values', () => {
    expect(fnv1a64BigInt('servers.web01.cpu.user', true)).toBe(0x819ed6e89dfd8235n);
    expect(jumpBucket(0x819ed6e8, 0x9dfd8235, 12)).toBe(2);
  });
  it('matches a BigInt reference (signed and unsigned bytes)', () => {
    for (const s of sampleStrings()) {
      expect(fnv1a64BigInt(s, true)).toBe(refFnv64(s, true));
      expect(fnv1a64BigInt(s, false)).toBe(refFnv64(s, false));
    }
  });
  it('jump and xorshift64* match a BigInt reference', () => {
    const h = new Uint32Array(2);
    for (const s of sampleStrings()) {
      let key = refFnv64(s, true);
      h[0] = Number(key >> 32n);
      h[1] = Number(key & 0xffffffffn);
      for (const n of [1, 2, 3, 5, 12, 40, 128]) expect(jumpBucket(h[0]!, h[1]!, n)).toBe(refJump(key, n));
      for (let k = 0; k < 3; k++) {
        xorshift64star(h);
        key = refXorshift(key);
        expect((BigInt(h[0]!) << 32n) | BigInt(h[1]!)).toBe(key);
      }
    }
  });
});

describe('mmh3', () => {
  it('matches published MurmurHash3_x86_32 (seed 0) values, signed', () => {
    expect(mmh3Hash('')).toBe(0);
    expect(mmh3Hash('foo')).toBe(-156908512);
    // Ground truth from the oracle's ring dump (rings.json pub-08: sorted_nodes keyed by mmh3(str(node))).
    expect(mmh3Hash("('cache-e.prod.example.net', None)")).toBe(-1648761778);
    expect(mmh3Hash("('cache-d.prod.example.net', None)")).toBe(956042539);
  });
});

describe('scratch buffer growth', () => {
  it('hashes names longer than anything seen before (the shared buffer grows mid-call)', () => {
    // Each size is larger than the last, so every call grows the scratch buffer first.
    for (const n of [3000, 40_000, 300_000]) {
      for (const s of ['é'.repeat(n), 'x'.repeat(n * 3) + 'é']) {
        const bytes = Buffer.from(s, 'utf8');
        expect(mmh3Hash(s)).toBe(mmh3OfBytes(bytes, bytes.length));
        expect(fnv1a32(s, true)).toBe(fnv1a32OfBytes(bytes, bytes.length, true));
        const a = new Uint32Array(2);
        const b = new Uint32Array(2);
        fnv1a64Into(s, true, a);
        fnv1a64OfBytesInto(bytes, bytes.length, true, b);
        expect([...a]).toEqual([...b]);
        expect(md5Hex(s)).toBe(createHash('md5').update(bytes).digest('hex'));
      }
    }
  });
});
