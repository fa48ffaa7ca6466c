// The path grouper (bounded memory: in-memory buckets, spilled to temp files past a threshold) and the
// raw-name helpers: one-dot variants and the --names index.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PARTITIONS, partitionOf, PathGrouper } from '../src/audit/group.js';
import { dotVariants, RawNameIndex, selfMetricMatcher, storedFormOf } from '../src/audit/variants.js';
import type { GroupEntry, PathGroup } from '../src/audit/audit-findings.js';
import { metricToPath } from '../src/storage/paths.js';

const tmp = fs.mkdtempSync(join(tmpdir(), 'ringshift-group-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function entries(n: number): [string, GroupEntry][] {
  const out: [string, GroupEntry][] = [];
  for (let i = 0; i < n; i++) {
    const path = `m${i % 997}/x ${i % 13}/é;.wsp`;
    out.push([
      path,
      {
        loc: i % 5,
        path,
        metric: i % 7 === 0 ? null : `m.${i}`,
        size: i,
        mtimeMs: i * 1000,
        kind: 'metric',
        ...(i % 3 === 0 ? { note: `n${i}` } : {}),
      },
    ]);
  }
  return out;
}

async function collect(g: PathGrouper): Promise<PathGroup[]> {
  const out: PathGroup[] = [];
  for await (const x of g.groups()) out.push(x);
  return out;
}

describe('PathGrouper', () => {
  it('partitions keys into 0..PARTITIONS-1', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(partitionOf(`a.b.${i}.wsp`));
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(PARTITIONS - 1);
    expect(seen.size).toBe(PARTITIONS);
  });

  it('groups every entry by key, identically in memory and spilled, and removes its spill files', async () => {
    const data = entries(20000);
    const mem = new PathGrouper({ memoryEntries: 1e9 });
    const spill = new PathGrouper({ memoryEntries: 1000, tmpDir: tmp });
    for (const [k, e] of data) {
      mem.add(k, e);
      spill.add(k, e);
    }
    expect(mem.spilled).toBe(false);
    expect(spill.spilled).toBe(true);
    expect(fs.readdirSync(tmp)).toHaveLength(1);
    const a = await collect(mem);
    const b = await collect(spill);
    expect(b).toEqual(a);
    expect(fs.readdirSync(tmp)).toEqual([]);
    // Every entry once, under its own key; entries sorted by location then path.
    expect(a.reduce((n, g) => n + g.entries.length, 0)).toBe(data.length);
    expect(new Set(a.map((g) => g.key)).size).toBe(a.length);
    for (const g of a) {
      for (const e of g.entries) expect(e.path).toBe(g.key);
      const locs = g.entries.map((e) => e.loc);
      expect(locs).toEqual([...locs].sort((x, y) => x - y));
    }
    const byKey = new Map(a.map((g) => [g.key, g]));
    for (const [k, e] of data.slice(0, 50)) expect(byKey.get(k)!.entries).toContainEqual(e);
  });

  it('dispose() without iterating removes the spill directory', () => {
    const g = new PathGrouper({ memoryEntries: 0, tmpDir: tmp });
    g.add('a.wsp', { loc: 0, path: 'a.wsp', metric: 'a', size: 1, mtimeMs: 1, kind: 'metric' });
    expect(fs.readdirSync(tmp)).toHaveLength(1);
    g.dispose();
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('raw names', () => {
  it('one-dot variants are exactly the names with one extra dot that carbon stores at the same file', () => {
    expect(dotVariants('a.b.c')).toEqual(['.a.b.c', 'a..b.c', 'a.b..c']);
    expect(dotVariants('single')).toEqual(['.single']);
    expect(dotVariants('a;t=1')).toEqual([]);
    for (const v of dotVariants('servers.web01.cpu.idle')) {
      expect(metricToPath(v)).toBe(metricToPath('servers.web01.cpu.idle'));
      expect(v.length).toBe('servers.web01.cpu.idle'.length + 1);
    }
    // A trailing dot is a different file.
    expect(metricToPath('a.b.c.')).not.toBe(metricToPath('a.b.c'));
  });

  it('the --names index keeps only names stored under another name, keyed by path', () => {
    const idx = new RawNameIndex();
    for (const line of ['a.b.c', 'a..b.c 1 1700000000', '.a.b.c', 'x.y/z', 'x.y.', 'ok.name', '', 'a..b.c', 'b;z=1;a=2', 'b;a=2;z=1'])
      idx.addLine(line);
    expect(idx.lines).toBe(10);
    expect(idx.rawAt('a/b/c.wsp')).toEqual(['a..b.c', '.a.b.c']);
    expect(idx.rawAt('x/y/z.wsp')).toEqual(['x.y/z']);
    expect(idx.rawAt('x/y/.wsp')).toEqual([]); // the trailing-dot file's stored name is the raw name
    expect(idx.rawAt(metricToPath('b;a=2;z=1'))).toEqual(['b;z=1;a=2']);
    expect(idx.anomalous).toBe(4);
    expect(storedFormOf('a..b.c')).toBe('a.b.c');
  });

  it('self-metric prefixes: a bare prefix is a first segment, a dotted one literal', () => {
    const m = selfMetricMatcher(['carbon', 'stats.relay.']);
    expect(m('carbon.agents.x')).toBe(true);
    expect(m('carbonara.x')).toBe(false);
    expect(m('stats.relay.in')).toBe(true);
    expect(selfMetricMatcher([])('carbon.x')).toBe(false);
  });
});
