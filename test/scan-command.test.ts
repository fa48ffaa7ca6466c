// `ringshift scan`, run in-process: plain names, JSON lines, the stderr summary of what plain output
// leaves out, usage errors, and the --cluster / --node path (the cluster-file loader is mocked with a
// constructed ClusterFile, so this tests the command, not the loader).
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterFile } from '../src/config/cluster-file.js';
import { parseCarbonDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { metricToPath } from '../src/storage/paths.js';
import type { ScanEntry } from '../src/storage/scan.js';
import { ScanJsonEncoder, scanEntryJson } from '../src/storage/scan-output.js';
import { runCommand, type CommandRun } from './helpers/run-command.js';

const clusterHolder: { file?: ClusterFile } = {};
vi.mock('../src/config/cluster-file.js', () => ({
  loadClusterFile: async (path: string) => {
    if (clusterHolder.file === undefined) throw new Error(`no cluster for ${path}`);
    return clusterHolder.file;
  },
}));

const { default: Scan } = await import('../commands/scan.js');

function run(argv: string[]): Promise<CommandRun> {
  return runCommand(Scan, argv, { thrownMessageToStderr: true });
}

let base: string;
const A = ['servers.a.cpu', 'servers.a.mem', 'x.y.', 'odd name.$HOME', 'caf\u00e9.m;dc=eu'];
const B = ['servers.b.cpu'];

function plant(dir: string, names: string[]): void {
  for (const n of names) {
    const p = join(dir, metricToPath(n, { hashTagged: false }));
    fs.mkdirSync(join(p, '..'), { recursive: true });
    fs.writeFileSync(p, 'data');
  }
}

beforeAll(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'ringshift-scancmd-'));
  plant(join(base, 'a'), A);
  plant(join(base, 'b'), B);
  // Entries without a usable name: a hashed tagged file and a symlink.
  const hashed = join(base, 'a', metricToPath('t;k=v'));
  fs.mkdirSync(join(hashed, '..'), { recursive: true });
  fs.writeFileSync(hashed, '');
  fs.symlinkSync('/etc/hostname', join(base, 'a', 'link.wsp'));
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('scan PATH', () => {
  it('prints one name a line and counts what it left out on stderr', async () => {
    const r = await run([join(base, 'a')]);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').sort()).toEqual([...A].sort());
    expect(r.err).toBe('ringshift: scan: not listed (no usable name): 1 tagged-hashed file, 1 symlink; --json shows them\n');
  });

  it('--json prints one object a line with size, mtime and node', async () => {
    const dir = join(base, 'a');
    const r = await run([dir, '--json']);
    expect(r.code).toBe(0);
    const rows = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ScanEntry);
    expect(rows.length).toBe(A.length + 2);
    for (const row of rows) {
      expect(Object.keys(row).slice(0, 6)).toEqual(['metric', 'path', 'size', 'mtime', 'node', 'kind']);
      expect(row.node).toBe(dir);
      if (row.kind === 'symlink') continue;
      const st = fs.statSync(join(dir, row.path));
      expect(row.size).toBe(st.size);
      expect(row.mtime).toBe(Math.round(st.mtimeMs) / 1000);
    }
    expect(rows.find((x) => x.metric === 'x.y.')).toMatchObject({ path: 'x/y/.wsp', kind: 'trailing-dot', size: 4 });
    expect(rows.find((x) => x.kind === 'tagged-hashed')?.metric).toBeNull();
    expect(r.err).toBe('');
  });

  it('refuses no input, two inputs, a file and --node without --cluster (exit 2)', async () => {
    expect((await run([])).code).toBe(2);
    const both = await run([join(base, 'a'), '--cluster', 'c.yaml']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/not both/);
    const file = join(base, 'plain.txt');
    fs.writeFileSync(file, '');
    const notDir = await run([file]);
    expect(notDir.code).toBe(2);
    expect(notDir.err).toMatch(/^ringshift: error: .*is not a directory/);
    expect((await run([join(base, 'a'), '--node', 'x'])).code).toBe(2);
  });

  it('a directory that does not exist yet is empty, as for audit and plan: a note, exit 0', async () => {
    const missing = await run([join(base, 'nope')]);
    expect(missing.code).toBe(0);
    expect(missing.out).toBe('');
    expect(missing.err).toBe(`ringshift: scan: ${join(base, 'nope')}: does not exist yet; treated as an empty location\n`);
  });
});

describe('scan --cluster', () => {
  beforeAll(() => {
    clusterHolder.file = {
      path: join(base, 'cluster.yaml'),
      ring: makeRingSpec({
        destinations: ['a:2004:1', 'a:2104:2', 'b:2004:1', 'c:2004:1', 'd:2004'].map((d) => parseCarbonDestination(d)),
      }),
      storage: [
        { key: 'a', location: join(base, 'a'), line: 5 },
        { key: 'b', location: join(base, 'b'), line: 6 },
        { key: 'c', location: 'ssh://c.example.com/var/lib/graphite/whisper', line: 7 },
      ],
    };
  });

  it('scans each location once, tags entries with the location id, warns about the rest (exit 1)', async () => {
    // The ssh location fails before any network traffic: its identity file does not exist.
    const r = await run(['--cluster', 'cluster.yaml', '--json', '--identity', join(base, 'no-such-key')]);
    const rows = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ScanEntry);
    expect(rows.filter((x) => x.node === 'a').length).toBe(A.length + 2);
    expect(rows.filter((x) => x.node === 'b').map((x) => x.metric)).toEqual(B);
    expect(r.err).toMatch(/member d:2004 has no storage entry/);
    expect(r.err).toMatch(/scan: c: .*no-such-key.*; not scanned/);
    expect(r.code).toBe(1);
  });

  it('--node picks one location by member, key or server', async () => {
    for (const node of ['a:2104:2', 'a', 'b:2004:1']) {
      const r = await run(['--cluster', 'cluster.yaml', '--node', node]);
      expect(r.err).not.toMatch(/not scanned|error/);
      expect(r.code).toBe(0);
      // With --cluster each name is followed by the location it was found in.
      const loc = node.startsWith('b') ? 'b' : 'a';
      expect(r.out.trimEnd().split('\n').sort()).toEqual((loc === 'b' ? B : [...A].sort()).map((m) => `${m}\t${loc}`));
    }
    const bad = await run(['--cluster', 'cluster.yaml', '--node', 'zz']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no storage location for "zz" \(expected one of: a, b, c\)/);
  });
});

describe('scanEntryJson', () => {
  it('is exactly JSON.stringify of the entry, for hard strings too', () => {
    const entries: ScanEntry[] = [
      { metric: 'a.b', path: 'a/b.wsp', size: 12, mtime: 1700000000.5, node: 'n', kind: 'metric' },
      { metric: null, path: 'bad\\xff.wsp', size: null, mtime: null, node: 'h:a+h:b', kind: 'malformed', note: 'x "q" \n \u0001' },
      { metric: 'q"uote\\.\u{1f600}.\ud800', path: 'q"uote\\/x.wsp', size: 0, mtime: 0, node: '/p a/th', kind: 'metric' },
    ];
    for (const e of entries) expect(scanEntryJson(e)).toBe(JSON.stringify(e));
    const enc = new ScanJsonEncoder(); // one encoder across node changes
    for (const e of [...entries, ...entries.reverse()]) expect(enc.encode(e)).toBe(JSON.stringify(e));
  });
});
