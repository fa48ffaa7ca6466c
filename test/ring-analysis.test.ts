// Ring analysis on hand-made rings whose arcs are known, so every expected share follows from the
// construction (arc length / 65536), not from the code under test.
import { describe, expect, it } from 'vitest';
import { diffRings } from '../src/ring/analysis/diff.js';
import { chooseMatch, identityLabel } from '../src/ring/analysis/members.js';
import { movedLine, PlacementEncoder, selectNodes, writeLocations, writeSieve } from '../src/ring-output/placements.js';
import { sampleKey } from '../src/ring/analysis/sample.js';
import { imbalance, keyspaceShares, nameDistribution } from '../src/ring/analysis/share.js';
import { UsageError } from '../src/errors.js';
import { jsonString, needsJsonEscape } from '../src/output/json.js';
import type { Placement } from '../src/ring/types.js';
import { dest, toyPosition, toyRing } from './ring-analysis-toy-ring.js';

const A = dest('cache-a', 2004, 'a');
const B = dest('cache-b', 2004, 'a');
const C = dest('cache-c', 2004, 'a');

async function* batches(names: string[], size = 3): AsyncGenerator<string[]> {
  for (let i = 0; i < names.length; i += size) yield names.slice(i, i + size);
}

class MemorySink {
  lines: string[] = [];
  flushes = 0;
  push(line: string): boolean {
    this.lines.push(line);
    return this.lines.length % 2 === 0;
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}

describe('jsonString', () => {
  it('equals JSON.stringify on plain, quoted, control, unicode and surrogate strings', () => {
    const cases = [
      'a.b.c',
      '',
      "it's",
      'say "hi"',
      'back\\slash',
      'tab\there',
      'nl\n',
      '\u0000\u001f',
      'x.é',
      '数据.cpu',
      '😀.x',
      '\ud800lone',
      'lone\udfff',
      '\u2028',
    ];
    for (const s of cases) expect(jsonString(s)).toBe(JSON.stringify(s));
  });

  it('equals JSON.stringify on 20k random strings over a nasty alphabet', () => {
    const alphabet = ['a', '.', '"', '\\', '\n', '\t', '\u0001', 'é', '\ud83d', '\ude00', ' ', ';', '=', '\u007f'];
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 20000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 12);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(jsonString(s)).toBe(JSON.stringify(s));
      // Surrogate pairs take the slow path although they need no escape; everything else must agree.
      if (!/[\ud800-\udfff]/.test(s)) expect(needsJsonEscape(s)).toBe(JSON.stringify(s) !== `"${s}"`);
    }
  });
});

describe('keyspaceShares', () => {
  it('enumerates positions: shares are the arc lengths', () => {
    // a: [0, 16384), b: [16384, 49152), c: [49152, 65536)
    const ring = toyRing(
      [A, B, C],
      [
        { start: 0, owners: [A] },
        { start: 16384, owners: [B] },
        { start: 49152, owners: [C] },
      ],
    );
    const r = keyspaceShares(ring);
    expect(r.exact).toBe(true);
    expect(r.method).toBe('positions');
    expect(r.total).toBe(65536);
    expect(r.members.map((m) => [m.id, m.primary])).toEqual([
      ['cache-a:2004:a', 0.25],
      ['cache-b:2004:a', 0.5],
      ['cache-c:2004:a', 0.25],
    ]);
    expect(r.imbalance.min).toBe(0.25);
    expect(r.imbalance.max).toBe(0.5);
    expect(r.imbalance.stddev).toBeCloseTo(Math.sqrt(((1 / 12) ** 2 * 2 + (1 / 6) ** 2) / 3), 12);
    expect(r.imbalance.maxOverMean).toBeCloseTo(1.5, 12);
    expect(r.anyImbalance).toBeUndefined();
  });

  it('with replication counts the primary and any-owner shares, once per key even if listed twice', () => {
    const ring = toyRing(
      [A, B, C],
      [
        { start: 0, owners: [A, B] },
        { start: 32768, owners: [C, C] }, // carbon's one-node quirk shape
      ],
      { spec: { replication: 2 } },
    );
    const r = keyspaceShares(ring);
    const byId = Object.fromEntries(r.members.map((m) => [m.id, [m.primary, m.any]]));
    expect(byId).toEqual({
      'cache-a:2004:a': [0.5, 0.5],
      'cache-b:2004:a': [0, 0.5],
      'cache-c:2004:a': [0.5, 0.5],
    });
    expect(r.anyImbalance).toBeDefined();
  });

  it('jump rings: 1/n primary and R/n any by construction', () => {
    const ring = toyRing([A, B, C, dest('d', 1)], [{ start: 0, owners: [A] }], {
      noPositions: true,
      spec: { impl: 'carbon-c-relay', hash: 'jump_fnv1a_ch', replication: 2 },
    });
    const r = keyspaceShares(ring);
    expect(r.method).toBe('jump');
    expect(r.exact).toBe(true);
    for (const m of r.members) {
      expect(m.primary).toBe(0.25);
      expect(m.any).toBe(0.5);
    }
  });

  it('samples rings without a position space and says so', () => {
    const ring = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 16384, owners: [B] },
      ],
      { noPositions: true, spec: { hash: 'mmh3_ch' } },
    );
    const r = keyspaceShares(ring, { sampleSize: 50000 });
    expect(r.exact).toBe(false);
    expect(r.method).toBe('sample');
    expect(r.total).toBe(50000);
    expect(r.members[0]!.primary).toBeGreaterThan(0.25 - 4 * r.standardError!);
    expect(r.members[0]!.primary).toBeLessThan(0.25 + 4 * r.standardError!);
  });

  it('imbalance of an empty list is all zero', () => {
    expect(imbalance([])).toEqual({ min: 0, max: 0, mean: 0, stddev: 0, maxOverMean: 0 });
  });
});

describe('sampleKey', () => {
  it('is deterministic, distinct and ASCII', () => {
    const keys = Array.from({ length: 10000 }, (_, i) => sampleKey(i));
    expect(new Set(keys).size).toBe(10000);
    expect(keys.every((k) => /^ringshift\.sample\.[0-9a-f]{8}\.[0-9a-f]{8}$/.test(k))).toBe(true);
    expect(sampleKey(7)).toBe(keys[7]);
  });
});

describe('nameDistribution', () => {
  it('counts names per member and dropped names', async () => {
    const ring = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 32768, owners: [B] },
      ],
      { drops: (n) => n === '...' },
    );
    const names = ['x1', 'x2', 'x3', 'x4', 'x5', '...'];
    const d = await nameDistribution(ring, batches(names));
    const expectA = names.filter((n) => n !== '...' && toyPosition(n) < 32768).length;
    expect(d.total).toBe(6);
    expect(d.dropped).toBe(1);
    expect(d.members.map((m) => m.primary)).toEqual([expectA, 5 - expectA]);
  });
});

describe('member matching', () => {
  it('auto: (server, instance) unless a ring has members differing only by port', () => {
    expect(chooseMatch([dest('h', 2004, 'a')], [dest('h', 7002, 'a')]).mode).toBe('node');
    const m = chooseMatch([dest('h', 2003), dest('h', 2103)], [dest('h', 2003)]);
    expect(m.mode).toBe('member');
    expect(m.reason).toContain('h:2003 and h:2103');
    expect(chooseMatch([A], [B], 'host').mode).toBe('host');
  });

  it('labels: IPv6 in brackets, empty instance kept', () => {
    expect(identityLabel(dest('::1', 2004, 'a'), 'node')).toBe('[::1]:a');
    expect(identityLabel(dest('h', 2004, ''), 'node')).toBe('h:');
    expect(identityLabel(dest('h', 2004, null), 'node')).toBe('h');
    expect(identityLabel(dest('::1', 2004, null), 'member')).toBe('[::1]:2004');
  });
});

describe('diffRings', () => {
  // before: a [0, 32768), b [32768, 65536); after: a [0, 16384), b [16384, 49152), c [49152, 65536)
  const before = toyRing(
    [A, B],
    [
      { start: 0, owners: [A] },
      { start: 32768, owners: [B] },
    ],
  );
  const after = toyRing(
    [A, B, C],
    [
      { start: 0, owners: [A] },
      { start: 16384, owners: [B] },
      { start: 49152, owners: [C] },
    ],
  );

  it('exact keyspace shares, per-node shares and primary flows', async () => {
    const d = await diffRings(before, after);
    expect(d.exact).toBe(true);
    expect(d.method).toBe('positions');
    // [16384, 32768) a→b, [49152, 65536) b→c
    expect(d.keyspace.primaryChanged).toBe(0.5);
    expect(d.keyspace.ownersChanged).toBe(0.5);
    expect(d.keyspace.flows).toEqual([
      { from: 'cache-a:2004:a', to: 'cache-b:2004:a', amount: 0.25 },
      { from: 'cache-b:2004:a', to: 'cache-c:2004:a', amount: 0.25 },
    ]);
    const nodes = Object.fromEntries(d.keyspace.nodes.map((n) => [n.node, [n.primaryBefore, n.primaryAfter]]));
    expect(nodes).toEqual({ 'cache-a:a': [0.5, 0.25], 'cache-b:a': [0.5, 0.5], 'cache-c:a': [0, 0.25] });
    expect(d.onlyFrom).toEqual([]);
    expect(d.onlyTo).toEqual(['cache-c:a']);
    expect(d.metrics).toBeUndefined();
  });

  it('identical rings: nothing changes', async () => {
    const d = await diffRings(after, after);
    expect(d.keyspace.ownersChanged).toBe(0);
    expect(d.keyspace.flows).toEqual([]);
  });

  it('relay vs webapp ports: matched by (server, instance), no change; --match member: everything moves', async () => {
    const relay = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 32768, owners: [B] },
      ],
    );
    const wa = dest('cache-a', 7002, 'a');
    const wb = dest('cache-b', 7002, 'a');
    const webapp = toyRing(
      [wa, wb],
      [
        { start: 0, owners: [wa] },
        { start: 32768, owners: [wb] },
      ],
      { spec: { impl: 'graphite-web' } },
    );
    const auto = await diffRings(relay, webapp);
    expect(auto.match.mode).toBe('node');
    expect(auto.keyspace.ownersChanged).toBe(0);
    expect(auto.keyspace.nodes.map((n) => [n.node, n.from, n.to])).toEqual([
      ['cache-a:a', ['cache-a:2004:a'], ['cache-a:7002:a']],
      ['cache-b:a', ['cache-b:2004:a'], ['cache-b:7002:a']],
    ]);
    const strict = await diffRings(relay, webapp, { match: 'member' });
    expect(strict.keyspace.ownersChanged).toBe(1);
    expect(strict.onlyFrom).toEqual(['cache-a:2004:a', 'cache-b:2004:a']);
  });

  it('host matching ignores which instance on a host owns the key', async () => {
    const a1 = dest('h1', 2004, 'a');
    const b1 = dest('h1', 2004, 'b');
    const x = toyRing([a1, b1], [{ start: 0, owners: [a1] }]);
    const y = toyRing([a1, b1], [{ start: 0, owners: [b1] }]);
    expect((await diffRings(x, y)).keyspace.primaryChanged).toBe(1);
    expect((await diffRings(x, y, { match: 'host' })).keyspace.primaryChanged).toBe(0);
  });

  it('owner list vs owner set: a replica swap changes the list, not the set', async () => {
    const x = toyRing([A, B], [{ start: 0, owners: [A, B] }], { spec: { replication: 2 } });
    const y = toyRing(
      [A, B],
      [
        { start: 0, owners: [A, B] },
        { start: 32768, owners: [B, A] },
      ],
      { spec: { replication: 2 } },
    );
    const d = await diffRings(x, y);
    expect(d.keyspace.ownersChanged).toBe(0.5);
    expect(d.keyspace.primaryChanged).toBe(0.5);
    expect(d.keyspace.ownerSetChanged).toBe(0);
    expect(d.keyspace.nodes.find((n) => n.node === 'cache-b:a')!.anyAfter).toBe(1);
  });

  it('different position functions: estimate over a sample; fnv1a vs signed fnv1a: exact with a caveat', async () => {
    const fnv = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 32768, owners: [B] },
      ],
      { fn: 'fnv1a32-16' },
    );
    const md5 = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 32768, owners: [B] },
      ],
      { fn: 'md5-16' },
    );
    const signed = toyRing(
      [A, B],
      [
        { start: 0, owners: [A] },
        { start: 16384, owners: [B] },
      ],
      { fn: 'fnv1a32-16-signed' },
    );
    const est = await diffRings(fnv, md5, { sampleSize: 20000 });
    expect(est.exact).toBe(false);
    expect(est.method).toBe('sample');
    expect(est.keyspace.total).toBe(20000);
    expect(est.keyspace.ownersChanged).toBe(0); // the toy rings place keys identically
    const ex = await diffRings(fnv, signed);
    expect(ex.exact).toBe(true);
    expect(ex.caveat).toMatch(/ASCII/);
    expect(ex.keyspace.primaryChanged).toBe(0.25);
  });

  it('counts real names, dropped ones as flows to no owner, and lists moved names', async () => {
    const dropping = toyRing(
      [A, B, C],
      [
        { start: 0, owners: [A] },
        { start: 16384, owners: [B] },
        { start: 49152, owners: [C] },
      ],
      { drops: (n) => n.startsWith('.') },
    );
    const names = Array.from({ length: 200 }, (_, i) => (i % 50 === 0 ? `.bad${i}` : `m.${i}.x`));
    const moved: string[] = [];
    let flushes = 0;
    const d = await diffRings(before, dropping, {
      names: batches(names, 7),
      listener: {
        moved: (metric, a, b) => moved.push(movedLine(metric, a, b, false)) % 5 === 0,
        flush: async () => void flushes++,
      },
    });
    const arc = (p: number, cuts: number[]): number => cuts.filter((c) => p >= c).length;
    let expectMoved = 0;
    let expectDropped = 0;
    for (const n of names) {
      const p = toyPosition(n);
      if (n.startsWith('.')) {
        expectDropped++;
        expectMoved++;
        continue;
      }
      const b4 = arc(p, [32768]);
      const af = arc(p, [16384, 49152]);
      const names4 = ['a', 'b'];
      const namesAf = ['a', 'b', 'c'];
      if (names4[b4] !== namesAf[af]) expectMoved++;
    }
    expect(d.metrics!.total).toBe(200);
    expect(d.metrics!.droppedTo).toBe(expectDropped);
    expect(d.metrics!.droppedFrom).toBe(0);
    expect(d.metrics!.ownersChanged).toBe(expectMoved);
    expect(d.metrics!.primaryChanged).toBe(expectMoved);
    expect(moved.length).toBe(expectMoved);
    expect(moved).toContain('.bad0  cache-a:2004:a -> (dropped)');
    expect(d.metrics!.flows.filter((f) => f.to === null).reduce((s, f) => s + f.amount, 0)).toBe(expectDropped);
    expect(d.metrics!.flows.reduce((s, f) => s + f.amount, 0)).toBe(expectMoved);
    expect(flushes).toBeGreaterThan(0);
  });
});

describe('placement lines', () => {
  const ring = toyRing(
    [A, dest('::1', 2004, 'x"y'), dest('plain', 2003)],
    [
      { start: 0, owners: [A, dest('::1', 2004, 'x"y')] },
      { start: 32768, owners: [dest('plain', 2003)] },
    ],
  );

  it('JSON lines equal JSON.stringify of the documented object', () => {
    const enc = new PlacementEncoder(ring);
    const ps: Placement[] = [
      { metric: 'a.b', owners: ring.ownersOfKey('a.b') },
      { metric: 'q"uote\n', owners: [A], routedAs: 'q_uote' },
      { metric: 'gone', owners: [], dropped: true, reason: 'empty' },
      { metric: 'err', owners: [], error: 'bad "thing"' },
    ];
    for (const p of ps) {
      const want: Record<string, unknown> = {
        metric: p.metric,
        owners: p.owners.map((o) => ({ server: o.server, port: o.port, instance: o.instance })),
      };
      if (p.routedAs !== undefined) want.routedAs = p.routedAs;
      if (p.dropped) want.dropped = true;
      if (p.error !== undefined) want.error = p.error;
      expect(enc.json(p)).toBe(JSON.stringify(want));
    }
  });

  it('writeLocations streams text with widening aligned columns', async () => {
    const sink = new MemorySink();
    const res = await writeLocations(ring, batches(['x', 'a.much.longer.name', 'y']), sink, { json: false });
    expect(res.names).toBe(3);
    // Batches of 3: one batch, so one width for the metric column.
    const col = sink.lines.map((l) => (l.indexOf('  ') >= 0 ? l.search(/ {2}\S/) : -1));
    expect(new Set(col).size).toBe(1);
    expect(sink.flushes).toBeGreaterThan(0);
  });

  it('selectNodes: server, server:instance, memberId, bracketed IPv6; unknown node is a usage error', () => {
    expect(selectNodes(ring, 'cache-a').ids).toEqual(['cache-a:2004:a']);
    expect(selectNodes(ring, 'cache-a:a').ids).toEqual(['cache-a:2004:a']);
    expect(selectNodes(ring, 'cache-a:2004:a').ids).toEqual(['cache-a:2004:a']);
    expect(selectNodes(ring, '[::1]').ids).toEqual(['[::1]:2004:x"y']);
    expect(selectNodes(ring, '::1:x"y').ids).toEqual(['[::1]:2004:x"y']);
    expect(selectNodes(ring, 'plain:2003').ids).toEqual(['plain:2003']);
    expect(() => selectNodes(ring, 'nope')).toThrow(UsageError);
  });

  it('writeSieve: any owner by default, primary only, invert', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `n${i}.z`);
    const first = names.filter((n) => toyPosition(n) < 32768);
    const run = async (node: string, invert: boolean, primaryOnly: boolean): Promise<string[]> => {
      const sink = new MemorySink();
      await writeSieve(ring, batches(names, 8), sink, { select: selectNodes(ring, node), invert, primaryOnly, json: false });
      return sink.lines;
    };
    expect(await run('::1', false, false)).toEqual(first); // replica
    expect(await run('::1', false, true)).toEqual([]);
    expect(await run('cache-a', false, true)).toEqual(first);
    expect(await run('plain', true, false)).toEqual(first);
  });
});

describe('withProgress', () => {
  it('passes batches through and reports the final count once done', async () => {
    const { withProgress } = await import('../src/ring-output/name-progress.js');
    const calls: [number, boolean][] = [];
    const seen: string[] = [];
    for await (const b of withProgress(batches(['a', 'b', 'c', 'd', 'e'], 2), (n, done) => calls.push([n, done]), 0)) seen.push(...b);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls.at(-1)).toEqual([5, true]);
    expect(calls.filter((c) => c[1])).toHaveLength(1);
  });
});
