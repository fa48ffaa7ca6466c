import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildRing } from '../src/ring/build.js';
import { crelayJumpCompare, strtolWhole } from '../src/ring/crelay-ring.js';
import { parseCarbonDestination, parseCrelayMember } from '../src/ring/destination.js';
import { fnv1aPosition16, fnv1aPosition16Signed } from '../src/ring/hash/fnv1a.js';
import { md5Position16 } from '../src/ring/hash/md5.js';
import { mmh3Hash } from '../src/ring/hash/mmh3.js';
import { glibcMergeSort } from '../src/ring/ring-support.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { Destination, PositionFn, Ring, RingSpec } from '../src/ring/types.js';
import { clusterSpec, loadClusters, loadMetrics } from './helpers/ring-vectors.js';
import { expectConfigError } from './helpers/thrown.js';

const carbon = (list: string[]): Destination[] => list.map((d, i) => parseCarbonDestination(d, { line: i + 10 }));
const crelay = (list: string[]): Destination[] => list.map((d, i) => parseCrelayMember(d, { line: i + 10 }));
const spec = (p: Partial<RingSpec> & Pick<RingSpec, 'destinations'>): RingSpec => makeRingSpec({ origin: { file: 'test.conf' }, ...p });

const POSITION: Record<PositionFn, (s: string) => number> = {
  'md5-16': md5Position16,
  'fnv1a32-16': fnv1aPosition16,
  'fnv1a32-16-signed': fnv1aPosition16Signed,
};

/** Names: the vector metric list plus generated ones with quotes, backslashes, controls, non-ASCII. */
function names(): string[] {
  const out = loadMetrics();
  const parts = ['a', 'b.c', "it's", '"q"', '\\', '\t', '\u0001', 'é', '指标', '🚀', ';k=v', ' ', '..', 'x'];
  let seed = 99;
  for (let i = 0; i < 3000; i++) {
    let s = '';
    const n = 1 + (i % 9);
    for (let k = 0; k < n; k++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      s += parts[seed % parts.length]! + (k % 2 === 0 ? '.' : '');
    }
    out.push(s);
  }
  return out;
}

describe('worked examples (ring-spec §2.2, §4.2, §4.4)', () => {
  it("places ('10.0.0.1', 'a') replica 0 at 31534 in a carbon_ch ring", () => {
    const ring = buildRing(spec({ destinations: carbon(['10.0.0.1:2004:a']) }));
    expect(ring.points!().some((p) => p.position === 31534)).toBe(true);
    expect(ring.points!()).toHaveLength(100);
  });

  it('hashes x.é to 17480 in carbon fnv1a_ch and to 57252 in c-relay fnv1a_ch', () => {
    const c = buildRing(spec({ hash: 'fnv1a_ch', destinations: carbon(['h1:2004:a', 'h2:2004:b', 'h3:2004:c']) }));
    const r = buildRing(
      spec({ impl: 'carbon-c-relay', hash: 'fnv1a_ch', sanitize: false, destinations: crelay(['h1:2004=a', 'h2:2004=b', 'h3:2004=c']) }),
    );
    expect(c.positionSpace!.fn).toBe('fnv1a32-16');
    expect(r.positionSpace!.fn).toBe('fnv1a32-16-signed');
    expect(c.ownersOfKey('x.é')).toBe(c.positionSpace!.ownersAt(17480));
    expect(r.ownersOfKey('x.é')).toBe(r.positionSpace!.ownersAt(57252));
  });

  it('sends servers.web01.cpu.user to bucket 2 of a 12-member c-relay jump ring', () => {
    const c = loadClusters().find((x) => x.id === 'pub-16-crelay-jump-r2-numeric-inst')!;
    const ring = buildRing({ ...clusterSpec(c), replication: 1, sanitize: false });
    expect(ring.points!()[2]!.member.instance).toBe('3');
    expect(ring.ownersOfKey('servers.web01.cpu.user')).toEqual([ring.points!()[2]!.member]);
  });

  it('orders c-relay jump instances numerically and buckytools jump instances as strings', () => {
    const members = ['j10:2003=10', 'j2:2003=2', 'j1:2003=1', 'jx:2003', 'j007:2003=007'];
    const r = buildRing(spec({ impl: 'carbon-c-relay', hash: 'jump_fnv1a_ch', destinations: crelay(members) }));
    expect(r.points!().map((p) => p.member.instance)).toEqual(['1', '2', '7', '10', null]);
    const b = buildRing(spec({ impl: 'bucky', hash: 'jump_fnv1a_ch', destinations: crelay(['j10:2003=10', 'j2:2003=2', 'j1:2003=1']) }));
    expect(b.points!().map((p) => p.member.instance)).toEqual(['1', '10', '2']);
  });
});

describe('positionSpace', () => {
  const rings: [string, Ring][] = loadClusters()
    .map((c) => [c.id, buildRing(clusterSpec(c))] as [string, Ring])
    .filter(([, r]) => r.positionSpace !== undefined);

  it('exists exactly for the 16-bit rings', () => {
    const ids = rings.map(([id]) => id);
    for (const c of loadClusters()) {
      const sixteen = c.hash === 'carbon_ch' || c.hash === 'fnv1a_ch';
      expect(ids.includes(c.id)).toBe(sixteen && c.router !== 'fast-hashing');
    }
  });

  it.each(rings)('%s: ownersAt(position(key)) is ownersOfKey(key)', (_, ring) => {
    const ps = ring.positionSpace!;
    expect(ps.size).toBe(65536);
    const pos = POSITION[ps.fn];
    for (const name of names()) expect(ring.ownersOfKey(name)).toBe(ps.ownersAt(pos(name)));
    expect(() => ps.ownersAt(65536)).toThrow(RangeError);
  });

  it.each(rings)('%s: every position agrees with a walk over the ring points', (_, ring) => {
    const { impl, replication, diverse } = ring.spec;
    const pts = ring.points!();
    // Independent model of the lookup + walk of ring-spec §2.4-2.6 / §4.3 / §5.
    for (let p = 0; p < 65536; p += 7) {
      let start = pts.findIndex((x) => x.position >= p);
      if (start < 0) start = 0;
      const want: Destination[] = [];
      if (impl === 'carbon-c-relay') {
        for (let t = start; want.length < replication; t = (t + 1) % pts.length) {
          const m = pts[t]!.member;
          if (!want.includes(m)) want.push(m);
        }
      } else if (impl === 'bucky') {
        want.push(pts[start]!.member);
      } else {
        const seq: Destination[] = ring.members.length === 1 ? [ring.members[0]!] : [];
        const seen = new Set<Destination>();
        for (let k = 0; k < pts.length - 1 && seen.size < ring.members.length; k++) {
          const m = pts[(start + k) % pts.length]!.member;
          if (!seen.has(m)) {
            seen.add(m);
            seq.push(m);
          }
        }
        const hosts = new Set<string>();
        for (const m of seq) {
          if (want.length === replication || (hosts.size === replication && (diverse || impl === 'graphite-web'))) break;
          if ((diverse || impl === 'graphite-web') && hosts.has(m.server)) continue;
          hosts.add(m.server);
          want.push(m);
        }
      }
      expect(ring.positionSpace!.ownersAt(p)).toEqual(want);
    }
  });
});

describe('engineered collisions', () => {
  it('c-relay fnv1a_ch: members sharing an instance all collide; the smallest host takes every position', () => {
    const ring = buildRing(
      spec({ impl: 'carbon-c-relay', hash: 'fnv1a_ch', destinations: crelay(['h3:2003=a', 'h1:2003=a', 'h2:2003=a']) }),
    );
    const owners = new Set(ring.points!().map((p) => p.member.server));
    expect([...owners]).toEqual(['h1']);
  });

  it('c-relay carbon_ch: same host on two ports without instances: the first listed gets everything', () => {
    const ring = buildRing(spec({ impl: 'carbon-c-relay', destinations: crelay(['10.0.0.1:2004', '10.0.0.1:2003']) }));
    expect(new Set(ring.points!().map((p) => p.member.port))).toEqual(new Set([2004]));
  });

  it('carbon: the later member of a collision moves to position + 1; c-relay keeps the smaller host', () => {
    const c = loadClusters().find((x) => x.id === 'pub-22-carbon-ch-dense-collisions-r2')!;
    const carbonRing = buildRing(clusterSpec(c));
    const crelayRing = buildRing({ ...clusterSpec(c), impl: 'carbon-c-relay', sanitize: false });
    const cp = carbonRing.points!().map((p) => p.position);
    expect(new Set(cp).size).toBe(cp.length); // carbon positions are unique after bumping
    const rp = crelayRing.points!().map((p) => p.position);
    expect(new Set(rp).size).toBeLessThan(rp.length); // c-relay keeps duplicates
  });

  it('carbon bumps past 65535 without wrapping', () => {
    // fnv1a_ch ignores the host: 700 instance-less nodes all hash "i-None" and pile up behind each other.
    const dests = Array.from({ length: 700 }, (_, i) => `n${i}:2004`);
    const ring = buildRing(spec({ hash: 'fnv1a_ch', destinations: carbon(dests) }));
    const pts = ring.points!();
    expect(pts[pts.length - 1]!.position).toBeGreaterThan(65535);
    expect(ring.ownersOfKey('anything')).toHaveLength(1);
  });

  it('carbon mmh3_ch consistent ring: signed positions, sorted and unique', () => {
    const ring = buildRing(spec({ hash: 'mmh3_ch', destinations: carbon(['a:1', 'b:1', 'c:1']) }));
    const pos = ring.points!().map((p) => p.position);
    expect(pos.some((p) => p < 0)).toBe(true);
    expect([...pos].sort((x, y) => x - y)).toEqual(pos);
    expect(ring.positionSpace).toBeUndefined();
    for (const name of names().slice(0, 500)) {
      const start = pos.findIndex((p) => p >= mmh3Hash(name));
      const first = ring.points!()[start < 0 ? 0 : start]!.member;
      expect(ring.ownersOfKey(name)[0]).toBe(first);
    }
  });
});

describe('one-node ring quirk (pitfall 7)', () => {
  it('returns the node twice with R=2 non-diverse, once when diverse', () => {
    const d = carbon(['lonely:2004:a']);
    expect(buildRing(spec({ destinations: d, replication: 3, diverse: false })).ownersOfKey('x')).toHaveLength(2);
    expect(buildRing(spec({ destinations: d, replication: 3, diverse: true })).ownersOfKey('x')).toHaveLength(1);
  });
});

describe('carbon de-duplication', () => {
  it('skips an exact repeat and keeps the first', () => {
    const ring = buildRing(spec({ destinations: carbon(['a:2004:x', 'b:2004', 'a:2004:x']) }));
    expect(ring.members.map((m) => m.server)).toEqual(['a', 'b']);
  });
  it('graphite-web adds a repeated host twice (200 points) and uses its last port', () => {
    const ring = buildRing(spec({ impl: 'graphite-web', destinations: carbon(['a:7002:x', 'b:7002', 'a:7102:x']) }));
    expect(ring.members.map((m) => [m.server, m.port])).toEqual([
      ['a', 7102],
      ['b', 7002],
    ]);
    expect(ring.points!()).toHaveLength(300);
  });
  it('an RF larger than the distinct hosts is fine for carbon (fewer owners)', () => {
    const ring = buildRing(spec({ destinations: carbon(['a:1:x', 'a:2:y']), replication: 3, diverse: true }));
    expect(ring.ownersOfKey('m')).toHaveLength(1);
  });
});

describe('TAG_RELAY_NORMALIZED', () => {
  it('routes by the normalised name and reports it', () => {
    const d = carbon(['a:1', 'b:1', 'c:1', 'd:1']);
    const ring = buildRing(spec({ destinations: d, tagRelayNormalized: true }));
    const p = ring.locate('~cpu.load;z=1;a=2');
    expect(p.routedAs).toBe('cpu.load;a=2;z=1');
    expect(p.owners).toBe(ring.ownersOfKey('cpu.load;a=2;z=1'));
    expect(ring.locate('a;b')).toEqual({ metric: 'a;b', owners: ring.ownersOfKey('a;b') });
    const plain = buildRing(spec({ destinations: d }));
    expect(plain.locate('~cpu.load;z=1;a=2').routedAs).toBeUndefined();
  });
});

describe('buildRing refuses what the implementations refuse', () => {
  const cases: [string, RingSpec, RegExp, number | undefined][] = [
    ['empty destination list', spec({ destinations: [] }), /no destinations/, undefined],
    ['replication 0', spec({ destinations: carbon(['a:1']), replication: 0 }), /replication factor 0/, undefined],
    [
      'carbon (server, instance) on two ports',
      spec({ destinations: carbon(['h:2104', 'x:1', 'h:2204']) }),
      /destination instance \(h, None\) already configured/,
      12,
    ],
    [
      'graphite-web RF above distinct hosts',
      spec({ impl: 'graphite-web', destinations: carbon(['a:1:x', 'a:2:y']), replication: 2 }),
      /REPLICATION_FACTOR=2 cannot exceed servers=1/,
      10,
    ],
    [
      'bucky replication 2',
      spec({ impl: 'bucky', destinations: crelay(['a:1', 'b:1']), replication: 2 }),
      /replication 2 is unsupported/,
      undefined,
    ],
    [
      'c-relay replication above members',
      spec({ impl: 'carbon-c-relay', destinations: crelay(['a:1', 'b:1']), replication: 3 }),
      /larger than the number of members \(2\)/,
      undefined,
    ],
    [
      'c-relay replication above 255',
      spec({ impl: 'carbon-c-relay', destinations: crelay(Array.from({ length: 100 }, (_, i) => `h${i}:1`)), replication: 256 }),
      /replication 256 is out of range/,
      undefined,
    ],
    [
      'c-relay more than 128 members',
      spec({ impl: 'carbon-c-relay', destinations: crelay(Array.from({ length: 129 }, (_, i) => `h${i}:1`)) }),
      /129 members, carbon-c-relay allows at most 128/,
      138,
    ],
    [
      'c-relay conflicting instances for one server',
      spec({ impl: 'carbon-c-relay', destinations: crelay(['h:2003=a', 'g:2003', 'h:2003=b']) }),
      /server h:2003 is already a member with instance a \(line 10\); carbon-c-relay cannot set instance b/,
      12,
    ],
    [
      'c-relay ring that would spin (duplicate fnv1a instances, replication 3)',
      spec({
        impl: 'carbon-c-relay',
        hash: 'fnv1a_ch',
        replication: 3,
        destinations: crelay(['10.0.0.1:2003=cache0', '10.0.0.1:2004=cache1', '10.0.0.2:2003=cache0', '10.0.0.2:2004=cache1']),
      }),
      /would spin forever: replication 3 but only 2 server\(s\) own ring positions/,
      undefined,
    ],
  ];

  it.each(cases)('%s', (_, s, message, line) => {
    const err = expectConfigError(() => buildRing(s));
    expect(err.message).toMatch(message);
    expect(err.exitCode).toBe(2);
    expect(err.file).toBe('test.conf');
    expect(err.line).toBe(line);
    expect(err.expected).toBeTruthy();
    expect(err.describe()).toContain('test.conf');
  });

  it('accepts the same c-relay server listed twice with the same instance', () => {
    const ring = buildRing(spec({ impl: 'carbon-c-relay', destinations: crelay(['h:2003=a', 'h:2003=a', 'g:2003']) }));
    expect(ring.members).toHaveLength(2);
  });
});

describe('details', () => {
  it('a name with a lone surrogate cannot be hashed by any implementation', () => {
    for (const impl of ['carbon', 'graphite-web', 'carbon-c-relay', 'bucky'] as const) {
      const ring = buildRing(spec({ impl, destinations: crelay(['a:1', 'b:1']) }));
      const p = ring.locate('bad.\ud800.name');
      expect(p.owners).toEqual([]);
      expect(p.error).toMatch(/lone UTF-16 surrogate/);
      expect(ring.locate('good.\ud83d\ude80.name').error).toBeUndefined();
    }
  });

  it('c-relay formats replica keys into 256 bytes: longer keys are hashed cut at 255 bytes', () => {
    const host = `${'h'.repeat(240)}.example`;
    const ring = buildRing(spec({ impl: 'carbon-c-relay', destinations: crelay([`${host}:2003=é${'i'.repeat(20)}`]) }));
    const key0 = Buffer.from(`('${host}', 'é${'i'.repeat(20)}'):0`, 'utf8');
    expect(key0.length).toBeGreaterThan(255);
    const want = createHash('md5').update(key0.subarray(0, 255)).digest().readUInt16BE(0);
    expect(ring.points!().map((p) => p.position)).toContain(want);
    // Every replica key shares the first 255 bytes: all 100 entries sit on one position.
    expect(new Set(ring.points!().map((p) => p.position)).size).toBe(1);
  });

  it('glibcMergeSort follows glibc msort on a non-transitive comparator', () => {
    // c-relay's jump comparator mixes numeric and strcmp order: "9" < "10" < "a" < "b" here only
    // because of the merge order (split [b,10] [a,9]; merge takes 9, 10, a, b).
    const order = glibcMergeSort(['b', '10', 'a', '9'], (x, y) => crelayJumpCompare({ instance: x, index: 0 }, { instance: y, index: 0 }));
    expect(order).toEqual(['9', '10', 'a', 'b']);
    const nums = Array.from({ length: 50 }, (_, i) => ({ k: (i * 7) % 5, i }));
    expect(glibcMergeSort(nums, (a, b) => a.k - b.k)).toEqual([...nums].sort((a, b) => a.k - b.k));
  });

  it("strtol-style numeric instances: signs, leading blanks, overflow clamps; '' counts as 0", () => {
    expect(strtolWhole('42')).toBe(42n);
    expect(strtolWhole(' -7')).toBe(-7n);
    expect(strtolWhole('+3')).toBe(3n);
    expect(strtolWhole('')).toBe(0n);
    expect(strtolWhole('99999999999999999999')).toBe((1n << 63n) - 1n);
    expect(strtolWhole('0x10')).toBeNull();
    expect(strtolWhole('7a')).toBeNull();
    expect(strtolWhole(' ')).toBeNull();
  });
});
