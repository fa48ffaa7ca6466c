// The byte path of `ring locate --json` / `ring sieve` must write exactly the bytes the string path
// writes: over the ring vector names for every cluster, and over adversarial input (CRLF, empty
// lines, no final newline, non-ASCII, invalid UTF-8, quotes, control characters, very long names) cut
// into chunks at every kind of boundary, with output buffers small enough to force every flush path.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  locateByteFormat,
  locateNames,
  selectNodes,
  sieveByteFormat,
  sieveNames,
  writeLocations,
  writeSieve,
  type SieveOptions,
} from '../src/ring-output/placements.js';
import { buildRing } from '../src/ring/build.js';
import { byteKeyspace, writeByteLines, type ByteLineFormat } from '../src/ring/fast-locate.js';
import { md5HexOfRange, md5Position16, md5Position16OfRange } from '../src/ring/hash/md5.js';
import { parseDestinationList, parseInlineDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { Ring, RingSpec } from '../src/ring/types.js';
import { lineBatches } from '../src/input/names.js';
import { ByteSink, LineSink } from '../src/output/sinks.js';
import { clusterSpec, loadClusters, loadMetrics } from './helpers/ring-vectors.js';

/** A Writable that keeps every byte written (strings as UTF-8, like a real stream). */
class Capture extends Writable {
  private readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(Buffer.from(chunk)); // the sink may reuse its buffer after cb
    cb();
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

async function* chunksOf(input: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of cuts) {
    if (c <= at || c >= input.length) continue;
    yield Buffer.from(input.subarray(at, c));
    at = c;
  }
  if (at < input.length) yield Buffer.from(input.subarray(at));
}

type Mode = { kind: 'locate' } | ({ kind: 'sieve' } & SieveOptions);

/** The string path's output: lineBatches (StringDecoder over the same chunks) and LineSink. */
async function stringPath(ring: Ring, input: Buffer, cuts: readonly number[], mode: Mode): Promise<Buffer> {
  const out = new Capture();
  const batches = lineBatches(Readable.from(chunksOf(input, cuts), { objectMode: true }));
  if (mode.kind === 'locate') await writeLocations(ring, batches, new LineSink(out), { json: true });
  else await writeSieve(ring, batches, new LineSink(out), mode);
  return out.bytes();
}

/** The byte path's output, with a sink buffer of `sinkSize` bytes; also how many lines went the slow way. */
async function bytePath(
  ring: Ring,
  input: Buffer,
  cuts: readonly number[],
  mode: Mode,
  sinkSize = 1 << 20,
): Promise<{ out: Buffer; slow: number; names: number }> {
  const ks = byteKeyspace(ring);
  if (ks === undefined) throw new Error(`${ring.spec.origin?.cluster ?? 'ring'} has no byte path`);
  const format: ByteLineFormat = mode.kind === 'locate' ? locateByteFormat(ring) : sieveByteFormat(ring, mode);
  const out = new Capture();
  const r = await writeByteLines(chunksOf(input, cuts), ks, format, new ByteSink(out, sinkSize));
  return { out: out.bytes(), slow: r.slow, names: r.names };
}

// Deterministic pseudo-random numbers for chunk cuts and fuzz lines.
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s = (s ^ (s >>> 12)) >>> 0;
    return s % n;
  };
}

function randomCuts(len: number, count: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => r(len)).sort((a, b) => a - b);
}

const METRICS = loadMetrics();
const CLUSTERS = loadClusters();
const NAMES_INPUT = Buffer.from(METRICS.join('\n') + '\n', 'utf8');

/** Which vector clusters have a byte path: consistent 16-bit rings whose locate hashes the name as given. */
function expectByteKeyspace(spec: RingSpec): boolean {
  if (spec.hash !== 'carbon_ch' && spec.hash !== 'fnv1a_ch') return false;
  if (spec.impl === 'carbon') return spec.router === 'consistent-hashing';
  if (spec.impl === 'carbon-c-relay') return !spec.sanitize;
  return true; // graphite-web, bucky
}

describe('byte-range hashes', () => {
  it('md5 over byte ranges equals the string and node:crypto answers', () => {
    const names = [...METRICS.slice(0, 300), '', 'a', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'w'.repeat(200)];
    const buf = Buffer.from('#' + names.join('\n') + '\n', 'utf8');
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 1;
    for (const n of names) {
      const len = Buffer.byteLength(n, 'utf8');
      starts.push(at);
      ends.push(at + len);
      at += len + 1;
    }
    names.forEach((n, i) => {
      const bytes = buf.subarray(starts[i]!, ends[i]!);
      expect(md5HexOfRange(buf, starts[i]!, ends[i]!)).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(md5Position16OfRange(buf, starts[i]!, ends[i]!)).toBe(md5Position16(n));
    });
  });
});

describe('byte path = string path on the ring vector names', () => {
  for (const c of CLUSTERS) {
    const spec = clusterSpec(c);
    it(`${c.id} (${spec.impl} ${spec.hash}${spec.impl === 'carbon-c-relay' ? (spec.sanitize ? ', cleansing' : ', raw keys') : ''})`, async () => {
      const ring = buildRing(spec);
      expect(byteKeyspace(ring) !== undefined).toBe(expectByteKeyspace(spec));
      if (byteKeyspace(ring) === undefined) return;
      const want = await stringPath(ring, NAMES_INPUT, [], { kind: 'locate' });
      const got = await bytePath(ring, NAMES_INPUT, randomCuts(NAMES_INPUT.length, 7, 1), { kind: 'locate' });
      expect(got.names).toBe(METRICS.length);
      // Most names are plain: the byte path really ran.
      expect(got.slow).toBeLessThan(METRICS.length / 4);
      expect(got.out.equals(want)).toBe(true);

      const member = ring.members[0]!;
      for (const [invert, primaryOnly, json] of [
        [false, false, false],
        [true, false, true],
        [false, true, true],
        [true, true, false],
      ] as const) {
        const mode: Mode = { kind: 'sieve', select: selectNodes(ring, member.server), invert, primaryOnly, json };
        const w = await stringPath(ring, NAMES_INPUT, [], mode);
        const g = await bytePath(ring, NAMES_INPUT, [], mode, 4096);
        expect(g.out.equals(w)).toBe(true);
      }
    });
  }

  it('carbon with TAG_RELAY_NORMALIZED: tagged names go the string path, output identical', async () => {
    const carbon = CLUSTERS.map(clusterSpec).filter((s) => s.impl === 'carbon' && expectByteKeyspace(s));
    expect(carbon.length).toBeGreaterThan(0);
    for (const base of carbon) {
      const spec = { ...base, tagRelayNormalized: true };
      const ring = buildRing(spec);
      const input = Buffer.from([...METRICS, '~a.b', 'a;b=c', 'x{y="z"}', 'a~b', '~~'].join('\n') + '\n', 'utf8');
      const want = await stringPath(ring, input, [], { kind: 'locate' });
      expect(want.toString('utf8')).toContain('"routedAs"');
      const got = await bytePath(ring, input, [], { kind: 'locate' });
      expect(got.out.equals(want)).toBe(true);
    }
  });

  it('carbon-c-relay raw keys: a space cuts the key, so names with spaces go the string path', async () => {
    const ring = buildRing(
      makeRingSpec({
        impl: 'carbon-c-relay',
        hash: 'carbon_ch',
        sanitize: false,
        destinations: parseDestinationList('10.0.0.1:2003,10.0.0.2:2003,10.0.0.3:2003', parseInlineDestination),
      }),
    );
    const input = Buffer.from('a.b c\na.b\nx y z\n', 'utf8');
    const want = await stringPath(ring, input, [], { kind: 'locate' });
    expect(want.toString('utf8')).toContain('"owners"');
    const got = await bytePath(ring, input, [], { kind: 'locate' });
    expect(got.slow).toBe(2);
    expect(got.out.equals(want)).toBe(true);
  });
});

describe('byte path = string path on adversarial input', () => {
  const ring = buildRing(
    makeRingSpec({ destinations: parseDestinationList('cache-a:2004:a,cache-b:2004:b,cache-c:2004:c', parseInlineDestination) }),
  );
  const fnvRing = buildRing(
    makeRingSpec({
      hash: 'fnv1a_ch',
      replication: 2,
      destinations: parseDestinationList('a:2004:1,b:2004:2,c:2004:3,d:2004:4', parseInlineDestination),
    }),
  );
  const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
  const cases: [string, Buffer][] = [
    ['empty input', Buffer.alloc(0)],
    ['only newlines', utf8('\n\n\n')],
    ['CRLF lines', utf8('a.b\r\nc.d\r\n\r\ne.f\r\n')],
    ['CR in odd places', utf8('a\r\r\n\rb\nc\rd\n\r\n\r')],
    ['no final newline', utf8('a.b\nc.d')],
    ['no final newline after CR', utf8('a.b\nc.d\r')],
    ['quotes, backslashes, controls, DEL, space, tab', utf8('a"b\nc\\d\ne\u0001f\ng\u007fh\ni j\nk\tl\n"\n\\\n')],
    ['non-ASCII', utf8('café.Δt\n指标.🚀\nnaïve;kéy=метрика\n')],
    [
      'invalid UTF-8',
      Buffer.concat([
        utf8('a.'),
        Buffer.from([0xff, 0x0a, 0xc3, 0x0a, 0xe2, 0x82, 0x0a, 0xed, 0xa0, 0x80, 0x0a, 0xc0, 0xaf, 0x0a, 0x80, 0x80, 0x61, 0x0a]),
        utf8('ok.name\n'),
        Buffer.from([0xf0, 0x9f, 0x9a]),
      ]),
    ],
    // Every length from 1 to 200 bytes (one-, two- and three-block MD5 messages), in two orders so
    // the three-at-a-time groups see every mix and every count of leftovers.
    [
      'names of every length up to 200 bytes',
      utf8(Array.from({ length: 200 }, (_, i) => `${i}.`.padEnd(i + 1, 'abcdefgh')).join('\n') + '\n'),
    ],
    [
      'names of every length, interleaved',
      utf8(Array.from({ length: 400 }, (_, i) => `n${i}`.padEnd(1 + ((i * 37) % 200), 'xy.z')).join('\n') + '\n'),
    ],
    ['very long names', utf8(['a'.repeat(70_000), 'b.'.repeat(600_000), 'c"'.repeat(40_000), 'short'].join('\n') + '\n')],
  ];

  // A fuzz input: lines from an alphabet heavy in the bytes that matter, many of them plain.
  const r = rng(42);
  const alphabet = [
    0x61, 0x2e, 0x5f, 0x2d, 0x3b, 0x3d, 0x7b, 0x7e, 0x20, 0x22, 0x5c, 0x0d, 0x09, 0x7f, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff,
  ];
  const fuzz: number[] = [];
  for (let line = 0; line < 3000; line++) {
    const len = r(5) === 0 ? r(90) : r(40);
    const plain = r(3) !== 0;
    for (let i = 0; i < len; i++) fuzz.push(plain ? 0x61 + r(26) : alphabet[r(alphabet.length)]!);
    fuzz.push(0x0a);
  }
  cases.push(['fuzz', Buffer.from(fuzz)]);

  for (const [name, input] of cases) {
    it(name, async () => {
      const cutSets: number[][] = [[], randomCuts(input.length, 5, 7), randomCuts(input.length, 40, 8)];
      // Every single cut point for small inputs (each boundary: inside CRLF, inside a UTF-8 sequence, …).
      if (input.length <= 64) for (let c = 1; c < input.length; c++) cutSets.push([c]);
      for (const rg of [ring, fnvRing]) {
        const select = selectNodes(rg, rg.members[1]!.server);
        const modes: Mode[] = [
          { kind: 'locate' },
          { kind: 'sieve', select, invert: false, primaryOnly: false, json: false },
          { kind: 'sieve', select, invert: true, primaryOnly: false, json: true },
        ];
        for (const mode of modes) {
          const want = await stringPath(rg, input, [], mode);
          for (const cuts of cutSets) {
            for (const sinkSize of [1 << 20, 200]) {
              const got = await bytePath(rg, input, cuts, mode, sinkSize);
              expect(got.out.toString('latin1')).toBe(want.toString('latin1'));
            }
          }
        }
      }
    });
  }
});

describe('locateNames / sieveNames', () => {
  const ring = buildRing(
    makeRingSpec({ destinations: parseDestinationList('cache-a:2004:a,cache-b:2004:b,cache-c:2004:c', parseInlineDestination) }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ringshift-fast-locate-'));
  // Bigger than one read (1 MiB): exercises read-ahead and lines cut between reads.
  const names = Array.from({ length: 60_000 }, (_, i) => (i % 997 === 0 ? `naïve.${i}` : `servers.host${i % 113}.cpu.${i}.value`));
  const file = join(dir, 'names.txt');
  writeFileSync(file, names.join('\r\n'));

  it('a file: byte path and string path write the same bytes', async () => {
    const a = new Capture();
    const b = new Capture();
    const ra = await locateNames(ring, { file }, { json: true, out: a });
    const rb = await locateNames(ring, { file }, { json: true, out: b, stringPath: true });
    expect(ra).toEqual({ names: names.length, written: names.length });
    expect(rb).toEqual(ra);
    expect(a.bytes().equals(b.bytes())).toBe(true);
    expect(a.bytes().toString('utf8').split('\n', 2)[0]).toBe(
      `{"metric":"${names[0]}","owners":[{"server":"${ring.locate(names[0]!).owners[0]!.server}","port":2004,"instance":"${ring.locate(names[0]!).owners[0]!.instance}"}]}`,
    );
  });

  it('stdin as bytes: the same; sieve too', async () => {
    const input = Buffer.from(names.join('\n') + '\n');
    const a = new Capture();
    const b = new Capture();
    await locateNames(ring, { stdin: Readable.from([input], { objectMode: false }) }, { json: true, out: a });
    await locateNames(ring, { stdin: Readable.from([input], { objectMode: false }) }, { json: true, out: b, stringPath: true });
    expect(a.bytes().equals(b.bytes())).toBe(true);

    const opts = { select: selectNodes(ring, 'cache-b'), invert: false, primaryOnly: false, json: false };
    const c = new Capture();
    const d = new Capture();
    const rc = await sieveNames(ring, { file }, { ...opts, out: c });
    const rd = await sieveNames(ring, { file }, { ...opts, out: d, stringPath: true });
    expect(rc).toEqual(rd);
    expect(rc.written).toBeGreaterThan(0);
    expect(rc.written).toBeLessThan(names.length);
    expect(c.bytes().equals(d.bytes())).toBe(true);
  });

  it('a missing file is the same usage error on both paths', async () => {
    const missing = join(dir, 'nope.txt');
    await expect(locateNames(ring, { file: missing }, { json: true, out: new Capture() })).rejects.toThrow('cannot read names: ENOENT');
    await expect(locateNames(ring, { file: missing }, { json: true, out: new Capture(), stringPath: true })).rejects.toThrow(
      'cannot read names: ENOENT',
    );
  });
});
