// Ring analysis against the ring ground truth (test/vectors/ring): rings built through the
// command-line flag path, locate lines vs every vector, exact shares vs the upstream ring dumps, and
// metric-level diffs vs differences counted straight from the vectors.
import { beforeAll, describe, expect, it } from 'vitest';
import { diffRings } from '../src/ring/analysis/diff.js';
import { PlacementEncoder } from '../src/ring-output/placements.js';
import { keyspaceShares } from '../src/ring/analysis/share.js';
import { memberId, type Ring } from '../src/ring/types.js';
import { ringFromFlags, type RingFlagValues } from '../src/config/ring-source.js';
import { loadClusters, loadMetrics, loadRingDumps, loadVectorLines, type VectorCluster, type VectorLine } from './helpers/ring-vectors.js';

const clusters = loadClusters();
const metrics = loadMetrics();
const rings = loadRingDumps();
const byCluster = new Map<string, VectorLine[]>();
for (const v of loadVectorLines()) {
  let list = byCluster.get(v.cluster);
  if (!list) byCluster.set(v.cluster, (list = []));
  list.push(v);
}

/** The flags a user would type for a cluster. */
function flagsOf(c: VectorCluster): RingFlagValues {
  const impl = c.impl === 'crelay' ? 'carbon-c-relay' : c.impl;
  const f: RingFlagValues = {
    impl,
    destinations: (c.impl === 'crelay' ? c.destinations_crelay : c.destinations).join(','),
    replication: c.replication,
  };
  if (c.hash === 'fast-hashing') f.router = 'fast-hashing';
  else f.hash = c.hash;
  if (c.router !== undefined) f.router = c.router;
  if (impl === 'carbon') f.diverse = c.diverse;
  if (impl === 'carbon-c-relay' && c.sanitize === false) f.sanitize = false;
  if (c.tag_relay_normalized) f['tag-relay-normalized'] = true;
  return f;
}

const built = new Map<string, Ring>();
beforeAll(async () => {
  for (const c of clusters) built.set(c.id, await ringFromFlags(flagsOf(c)));
});
const ring = (id: string): Ring => built.get(id)!;
const cluster = (prefix: string): VectorCluster => clusters.find((c) => c.id.startsWith(prefix))!;

describe('ring locate lines match every vector', () => {
  it.each(clusters.map((c) => [c.id]))('%s', (id) => {
    const r = ring(id);
    const enc = new PlacementEncoder(r);
    const vs = byCluster.get(id)!;
    expect(vs.length).toBe(metrics.length);
    let checked = 0;
    for (const v of vs) {
      const got = JSON.parse(enc.json(r.locate(v.metric))) as Record<string, unknown>;
      const want: Record<string, unknown> = {
        metric: v.metric,
        owners: (v.owners ?? []).map(([server, port, instance]) => ({ server, port, instance })),
      };
      if (v.routed_as !== undefined) want.routedAs = v.routed_as;
      if (v.dropped) want.dropped = true;
      if (v.error !== undefined) {
        expect(got.error).toBeTypeOf('string');
        want.error = got.error;
      }
      expect(got).toEqual(want);
      checked++;
    }
    expect(checked).toBe(2000);
  });
});

describe('ring show: exact primary shares equal the upstream ring dumps', () => {
  // Independent of the ring code: owner of position p = the first dumped entry at or after p, wrapping.
  // (c-relay's own `-d` dump of pub-19 truncates host names and omits ports: it cannot name members.)
  const enumerable = clusters.filter(
    (c) =>
      rings[c.id] !== undefined &&
      rings[c.id]!.every((e) => e[2] !== null) &&
      (c.hash === 'carbon_ch' || c.hash === 'fnv1a_ch') &&
      c.router === undefined,
  );
  it('covers the carbon_ch / fnv1a_ch clusters', () => expect(enumerable.length).toBeGreaterThanOrEqual(13));
  it.each(enumerable.map((c) => [c.id]))('%s', (id) => {
    const dump = rings[id]!.slice().sort((a, b) => a[0] - b[0]);
    const counts = new Map<string, number>();
    let e = 0;
    for (let p = 0; p < 65536; p++) {
      while (e < dump.length && dump[e]![0] < p) e++;
      const [, host, port, instance] = dump[e < dump.length ? e : 0]!;
      const id2 = memberId({ server: host, port: port!, instance });
      counts.set(id2, (counts.get(id2) ?? 0) + 1);
    }
    const report = keyspaceShares(ring(id));
    expect(report.exact).toBe(true);
    expect(report.method).toBe('positions');
    for (const m of report.members) expect([m.id, m.primary]).toEqual([m.id, (counts.get(m.id) ?? 0) / 65536]);
    expect(report.members.reduce((s, m) => s + m.primary, 0)).toBeCloseTo(1, 12);
  });

  it('jump rings: 1/n by construction; mmh3 and fast-hashing: estimates', () => {
    const jump = keyspaceShares(ring(cluster('pub-16').id));
    expect(jump.method).toBe('jump');
    expect(jump.members.every((m) => m.primary === 1 / 12 && m.any === 2 / 12)).toBe(true);
    const mmh3 = keyspaceShares(ring(cluster('pub-08').id), { sampleSize: 20000 });
    expect(mmh3.exact).toBe(false);
    expect(mmh3.members.reduce((s, m) => s + m.primary, 0)).toBeCloseTo(1, 12);
  });
});

/** Differences counted straight from the vectors, members identified by (server, instance). */
function vectorDiff(a: string, b: string): { owners: number; primary: number } {
  const va = byCluster.get(a)!;
  const vb = byCluster.get(b)!;
  const key = (o: [string, number, string | null]): string => JSON.stringify([o[0], o[1] === undefined ? null : o[2]]);
  let owners = 0;
  let primary = 0;
  for (let i = 0; i < va.length; i++) {
    const x = (va[i]!.owners ?? []).map(key);
    const y = (vb[i]!.owners ?? []).map(key);
    if (x.join('|') !== y.join('|')) owners++;
    if ((x[0] ?? '') !== (y[0] ?? '')) primary++;
  }
  return { owners, primary };
}

async function* batchesOf(names: string[]): AsyncGenerator<string[]> {
  for (let i = 0; i < names.length; i += 333) yield names.slice(i, i + 333);
}

describe('ring diff over the 2,000 vector names equals the vectors', () => {
  it.each([
    ['pub-01', 'pub-13', 'carbon vs c-relay carbon_ch (cleansing on)', true],
    ['pub-02', 'pub-03', 'diverse vs non-diverse, R=2', true],
    ['pub-02', 'pub-11', 'relay (2104/2204) vs webapp (7102/7202)', true],
    ['pub-03', 'pub-19', 'carbon vs c-relay, named instances, R=2', true],
    ['pub-22', 'pub-23', 'dense collisions: carbon vs c-relay raw', true],
    ['pub-22', 'pub-24', 'dense collisions: carbon vs bucky', true],
    ['pub-01', 'pub-20', 'carbon vs bucky', true],
    ['pub-15', 'pub-18', 'c-relay fnv1a cleansed vs raw', true],
    ['pub-05', 'pub-15', 'carbon fnv1a vs c-relay fnv1a (signed chars)', true],
    ['pub-01', 'pub-08', 'consistent vs fast-hashing mmh3', false],
    ['pub-16', 'pub-21', 'c-relay jump vs bucky jump', false],
  ])('%s vs %s: %s', async (a, b, _what, exact) => {
    const ca = cluster(a);
    const cb = cluster(b);
    const want = vectorDiff(ca.id, cb.id);
    const d = await diffRings(ring(ca.id), ring(cb.id), { names: batchesOf(metrics), sampleSize: 20000 });
    expect(d.exact).toBe(exact);
    expect(d.match.mode).toBe('node');
    expect(d.metrics!.total).toBe(2000);
    expect(d.metrics!.ownersChanged).toBe(want.owners);
    expect(d.metrics!.primaryChanged).toBe(want.primary);
    expect(d.metrics!.flows.reduce((s, f) => s + f.amount, 0)).toBe(want.primary);
    expect(d.keyspace.flows.reduce((s, f) => s + f.amount, 0)).toBeCloseTo(d.keyspace.primaryChanged, 12);
    if (a === 'pub-05') expect(d.caveat).toMatch(/ASCII/);
  });

  it('relay vs webapp with matching (server, instance): nothing moves, keyspace included', async () => {
    const d = await diffRings(ring(cluster('pub-02').id), ring(cluster('pub-11').id));
    expect(d.exact).toBe(true);
    expect(d.keyspace.ownersChanged).toBe(0);
    expect(d.onlyFrom).toEqual([]);
  });
});

describe('ring diff properties on real rings', () => {
  it('adding a member to a carbon_ch ring only moves primaries to the new member', async () => {
    for (const impl of ['carbon', 'carbon-c-relay'] as const) {
      const dests = Array.from({ length: 8 }, (_, i) => `cache-${i}.example.net:2004${impl === 'carbon' ? ':' : '='}a`);
      const before = await ringFromFlags({ impl, destinations: dests.join(',') });
      const after = await ringFromFlags({
        impl,
        destinations: [...dests, `cache-new.example.net:2004${impl === 'carbon' ? ':' : '='}a`].join(','),
      });
      const d = await diffRings(before, after);
      expect(d.exact).toBe(true);
      expect(new Set(d.keyspace.flows.map((f) => f.to))).toEqual(new Set(['cache-new.example.net:2004:a']));
      const added = d.keyspace.nodes.find((n) => n.node === 'cache-new.example.net:a')!;
      expect(added.primaryBefore).toBe(0);
      expect(d.keyspace.primaryChanged).toBe(added.primaryAfter);
      // About 1/9 of the keyspace moves.
      expect(added.primaryAfter).toBeGreaterThan(0.05);
      expect(added.primaryAfter).toBeLessThan(0.2);
    }
  });

  it('sample estimates agree with exact counts within 5 standard errors', async () => {
    const a = ring(cluster('pub-01').id);
    const b = ring(cluster('pub-22').id);
    const exact = await diffRings(a, b, { match: 'member' });
    // Force the sample path by hiding one position space.
    const hidden: Ring = { spec: b.spec, members: b.members, locate: (m) => b.locate(m), ownersOfKey: (k) => b.ownersOfKey(k) };
    const est = await diffRings(a, hidden, { match: 'member', sampleSize: 100000 });
    expect(est.exact).toBe(false);
    expect(Math.abs(est.keyspace.primaryChanged - exact.keyspace.primaryChanged)).toBeLessThan(5 * est.standardError!);
  });
});
