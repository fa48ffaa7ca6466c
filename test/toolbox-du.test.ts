// `ringshift du` against sizes computed here from the files themselves (a walk of each node's
// directory with lstat, independent of the scanner): bytes and files per prefix, per location and in
// total, at several --depth values, with a metric filter, and for one directory; symlinks are not
// counted, whisper files of different layouts (different sizes) and tagged series are.
import * as fs from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plantMetric } from '../src/example/seed.js';
import { clusterFactory, NOW, owners, type TestCluster } from './audit-cluster.js';
import { runCommand } from './helpers/run-command.js';

const { default: Du } = await import('../commands/du.js');

const NODES = ['n1', 'n2', 'n3'];
const newCluster = clusterFactory();
const METRICS = [
  'servers.web1.cpu.user',
  'servers.web1.cpu.system',
  'servers.web2.mem',
  'servers.db1.disk.sda.reads',
  'apps.checkout.latency',
  'apps.checkout.errors',
  'top',
  'cpu;dc=eu;host=web1',
];
/** A different layout per metric, so sizes differ. */
const LAYOUTS: [number, number][][] = [
  [[60, 1440]],
  [[60, 100]],
  [
    [10, 8640],
    [3600, 48],
  ],
  [[300, 12]],
];

interface Usage {
  files: number;
  bytes: number;
}

/** Files and bytes per prefix, per node, from an lstat walk (regular files only). */
function expected(c: TestCluster, nodes: readonly string[], depth: number, keep: (rel: string) => boolean = () => true) {
  const rows = new Map<string, { files: number; bytes: number; nodes: Record<string, Usage> }>();
  const perNode: Record<string, Usage> = {};
  const total: Usage = { files: 0, bytes: 0 };
  const sizes = new Set<number>();
  for (const n of nodes) {
    perNode[n] = { files: 0, bytes: 0 };
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const rel = relative(c.root(n), p).split(sep).join('/');
          if (!keep(rel)) continue;
          const size = fs.lstatSync(p).size;
          sizes.add(size);
          const segs = rel.replace(/\.wsp$/, '').split('/');
          const prefix = segs.slice(0, depth).join('.');
          const row = rows.get(prefix) ?? { files: 0, bytes: 0, nodes: {} };
          rows.set(prefix, row);
          row.files++;
          row.bytes += size;
          row.nodes[n] ??= { files: 0, bytes: 0 };
          row.nodes[n].files++;
          row.nodes[n].bytes += size;
          perNode[n]!.files++;
          perNode[n]!.bytes += size;
          total.files++;
          total.bytes += size;
        }
      }
    };
    walk(c.root(n));
  }
  return { rows, perNode, total, sizes };
}

async function du(args: string[]): Promise<{ rows: Record<string, unknown>[]; summary: Record<string, unknown> }> {
  const r = await runCommand(Du, [...args, '--json', '--quiet']);
  expect(r.code, r.err).toBe(0);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { rows: lines.slice(0, -1), summary: lines.at(-1)!.summary as Record<string, unknown> };
}

describe('du on a 3-node RF 2 cluster', () => {
  let c: TestCluster;
  let clusterFile: string;
  beforeAll(async () => {
    c = newCluster('du');
    clusterFile = c.writeCluster(
      'cluster.yaml',
      { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 },
      {
        n1: 'n1',
        n2: 'n2',
        n3: 'n3',
      },
    );
    const ring = c.ring('cluster.yaml');
    let k = 0;
    for (const m of METRICS)
      for (const n of owners(ring, m))
        await plantMetric(c.root(n), m, { now: NOW, points: [[NOW - 60 * k, k]], retentions: LAYOUTS[k++ % LAYOUTS.length]! });
    // A stray copy, and a symlink (not counted).
    await plantMetric(c.root('n1'), 'servers.old.cpu', { now: NOW, points: [], retentions: LAYOUTS[2]! });
    fs.symlinkSync(join(c.root('n1'), 'servers/old/cpu.wsp'), join(c.root('n1'), 'servers/old/link.wsp'));
  });

  it.each([0, 1, 2, 3, 9])('--depth %i: per prefix, per location and in total, as the files say', async (depth) => {
    const want = expected(c, NODES, depth);
    const got = await du(['--cluster', clusterFile, '--depth', String(depth)]);
    expect(got.rows).toEqual([...want.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([prefix, r]) => ({ prefix, ...r })));
    expect(got.summary).toMatchObject({ ...want.total, failed: [], nodes: NODES.map((id) => ({ id, ...want.perNode[id] })) });
    // The sizes differ per layout: a count of files alone would not pass.
    expect(want.sizes.size).toBeGreaterThan(3);
  });

  it('a metric filter counts only what it selects', async () => {
    const want = expected(c, NODES, 2, (rel) => rel.startsWith('servers/web1/'));
    const got = await du(['--cluster', clusterFile, '--depth', '2', '--match', 'servers.web1.**']);
    expect(got.rows).toEqual([{ prefix: 'servers.web1', ...want.rows.get('servers.web1')! }]);
    expect(got.summary).toMatchObject(want.total);
  });

  it('one directory, and the text table ends with the exact total', async () => {
    const want = expected(c, ['n1'], 1);
    const got = await du([c.root('n1')]);
    expect(got.summary).toMatchObject(want.total);
    const t = await runCommand(Du, [c.root('n1'), '--quiet']);
    expect(t.code, t.err).toBe(0);
    expect(t.out.trim().split('\n').at(-1)).toBe(`${want.total.bytes} bytes in ${want.total.files} files`);
    expect(t.out).toMatch(new RegExp(`^servers +${want.rows.get('servers')!.files} +`, 'm'));
  });
});
