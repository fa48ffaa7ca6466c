// The 16-bit position table answers its first lookups by binary search and fills all 65536 positions
// only later (start-up of a one-name `ring locate`); both stages must give the same owner lists — the
// same arrays, since owner lists are compared by identity — and a small ring's replica positions are
// hashed in JavaScript instead of by the WebAssembly kernel, and its bumps followed in a Map instead
// of 65536-position arrays, which must not change a position.
import { describe, expect, it } from 'vitest';
import { buildRing } from '../src/ring/build.js';
import { parseCarbonDestination, parseCrelayMember } from '../src/ring/destination.js';
import { placeReplicaHashes } from '../src/ring/carbon-replicas.js';
import { md5Position16 } from '../src/ring/hash/md5.js';
import { md5Positions16 } from '../src/ring/hash/md5-batch.js';
import { POSITIONS_16, PositionTable } from '../src/ring/ring-support.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { Destination, RingSpec } from '../src/ring/types.js';

const spec = (p: Partial<RingSpec> & Pick<RingSpec, 'destinations'>): RingSpec => makeRingSpec({ origin: { file: 'test.conf' }, ...p });
const carbon = (n: number): Destination[] =>
  Array.from({ length: n }, (_, i) => parseCarbonDestination(`10.0.0.${i}:2004:${String.fromCharCode(97 + i)}`, {}));
const crelay = (n: number): Destination[] => Array.from({ length: n }, (_, i) => parseCrelayMember(`10.0.0.${i}:2003`, {}));

describe('PositionTable', () => {
  it('answers by binary search, then from the full table, with the same lists', () => {
    const sorted = Int32Array.from([5, 100, 40000, 65535]);
    const lists = [['a'], ['b'], ['c'], ['d']].map((s) => s.map((server) => ({ server, port: 1, instance: null })));
    let calls = 0;
    const lazy = new PositionTable(sorted, (start) => (calls++, lists[start]!));
    // bisect_left: the first entry at or after the position, entry 0 past the last.
    expect(lazy.at(0)).toBe(lists[0]);
    expect(lazy.at(5)).toBe(lists[0]);
    expect(lazy.at(6)).toBe(lists[1]);
    expect(lazy.at(40001)).toBe(lists[3]);
    expect(lazy.at(65535)).toBe(lists[3]);
    const seen = [0, 5, 6, 100, 101, 39999, 40000, 40001, 65534, 65535].map((p) => lazy.at(p));
    for (let p = 0; p < POSITIONS_16; p += 97) lazy.at(p); // past the binary-search stage
    expect([0, 5, 6, 100, 101, 39999, 40000, 40001, 65534, 65535].map((p) => lazy.at(p))).toEqual(seen);
    expect(calls).toBe(4); // each start's owners made once, whichever stage asked
    expect(() => lazy.at(65536)).toThrow(RangeError);
    expect(() => lazy.at(-1)).toThrow(RangeError);
  });

  for (const [impl, members] of [
    ['carbon', carbon(7)],
    ['carbon-c-relay', crelay(7)],
  ] as const) {
    it(`${impl}: a ring's owners per position are the same whichever stage answers`, () => {
      const s = spec({ impl, destinations: members, replication: 2 });
      const fresh = (): NonNullable<ReturnType<typeof buildRing>['positionSpace']> => buildRing(s).positionSpace!;
      const swept = fresh();
      const all = Array.from({ length: POSITIONS_16 }, (_, p) => swept.ownersAt(p));
      for (const p of [0, 1, 777, 32768, 65535]) {
        expect(fresh().ownersAt(p)).toEqual(all[p]); // a fresh ring: the binary-search stage
      }
      expect(new Set(all).size).toBeGreaterThan(1);
      expect(all.every((o) => o.length === 2)).toBe(true);
    });
  }
});

describe('md5Positions16', () => {
  it('gives md5Position16 of every key on both sides of the kernel threshold', () => {
    for (const count of [300, 1023, 1024, 5000]) {
      const keys = Array.from({ length: count }, (_, k) => `('10.0.0.${k % 97}', 'i${k}'):${k % 100}`);
      const bytes = keys.map((k) => Buffer.from(k, 'utf8'));
      const got = md5Positions16(count, (k, buf, at) => at + bytes[k]!.copy(buf, at), {
        maxKeyBytes: Math.max(...bytes.map((b) => b.length)),
        unsafe: () => false,
        text: (k) => keys[k]!,
      });
      expect(Array.from(got)).toEqual(keys.map(md5Position16));
    }
  });
});

describe('placeReplicaHashes (16-bit)', () => {
  it("places every replica as carbon's bumps do, on both sides of the small-ring threshold", () => {
    let seed = 7;
    for (const count of [1, 300, 4095, 4096, 9000]) {
      // Crowded hashes (many collisions, runs past 65535) and spread ones.
      for (const span of [50, 65536]) {
        const hashes = Int32Array.from({ length: count }, () => {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          return span === 50 ? 65500 + (seed % span) : seed % span;
        });
        const taken = new Set<number>();
        const want = Array.from(hashes, (h) => {
          let p = h;
          while (taken.has(p)) p++;
          taken.add(p);
          return p;
        });
        const got = placeReplicaHashes(hashes, 'dense');
        expect(Array.from(got.positions)).toEqual(want);
        expect(Array.from(got.order, (k) => want[k])).toEqual([...want].sort((a, b) => a - b));
      }
    }
  });
});
