// Every line of the ring vectors (test/vectors/ring): owners in order, routed_as, hash_key, dropped; and the ring
// dumps of rings.json (positions and members in ring order).
import { describe, expect, it } from 'vitest';
import { buildRing } from '../src/ring/build.js';
import type { Placement } from '../src/ring/types.js';
import { clusterSpec, loadClusters, loadRingDumps, loadVectorLines, type VectorLine } from './helpers/ring-vectors.js';

const clusters = loadClusters();
const lines = loadVectorLines();
const dumps = loadRingDumps();

function actual(p: Placement): Omit<VectorLine, 'cluster'> {
  const out: Omit<VectorLine, 'cluster'> = {
    metric: p.metric,
    owners: p.owners.map((d) => [d.server, d.port, d.instance]),
  };
  if (p.routedAs !== undefined) out.routed_as = p.routedAs;
  if (p.hashKey !== undefined) out.hash_key = p.hashKey;
  if (p.dropped) {
    out.dropped = true;
    out.reason = p.reason;
  }
  return out;
}

function expected(v: VectorLine): Omit<VectorLine, 'cluster'> {
  const out: Omit<VectorLine, 'cluster'> = { metric: v.metric, owners: v.owners };
  if (v.routed_as !== undefined) out.routed_as = v.routed_as;
  if (v.hash_key !== undefined) out.hash_key = v.hash_key;
  if (v.dropped) {
    out.dropped = true;
    out.reason = v.reason;
  }
  return out;
}

describe('ring vectors', () => {
  it('has 24 clusters × 2000 names', () => {
    expect(clusters).toHaveLength(24);
    expect(lines).toHaveLength(24 * 2000);
  });

  it.each(clusters.map((c) => [c.id, c] as const))('%s: every name matches', (id, c) => {
    const ring = buildRing(clusterSpec(c));
    const mine = lines.filter((v) => v.cluster === id);
    expect(mine).toHaveLength(2000);
    const mismatches: string[] = [];
    for (const v of mine) {
      const got = actual(ring.locate(v.metric));
      const want = expected(v);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${JSON.stringify(want)}\n  got ${JSON.stringify(got)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(mismatches).toHaveLength(0);
  });
});

describe('ring dumps (rings.json)', () => {
  it.each(Object.keys(dumps))('%s: points and members in ring order', (id) => {
    const c = clusters.find((x) => x.id === id)!;
    const ring = buildRing(clusterSpec(c));
    const points = ring.points!();
    const want = dumps[id]!;
    expect(points).toHaveLength(want.length);
    points.forEach((p, i) => {
      const [pos, host, port, inst] = want[i]!;
      expect(p.position).toBe(pos);
      if (port === null) {
        // c-relay's -d dump prints "host:port[=instance]" into a 21-byte buffer: compare the prefix.
        const text = `${p.member.server}:${p.member.port}${p.member.instance === null ? '' : `=${p.member.instance}`}`;
        expect(text.slice(0, 20)).toBe(host);
      } else {
        expect([p.member.server, p.member.port, p.member.instance]).toEqual([host, port, inst]);
      }
    });
  });
});
