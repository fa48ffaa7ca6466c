// `ringshift scan --cluster` with a real cluster file (YAML through loadClusterFile): relative storage paths,
// two instances sharing one directory scanned once, --node selection, a member without storage.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Scan from '../commands/scan.js';
import { loadClusterFile } from '../src/config/cluster-file.js';
import { resolveLocations } from '../src/storage/locations.js';
import { metricToPath } from '../src/storage/paths.js';
import type { ScanEntry } from '../src/storage/scan.js';
import { runCommand, type CommandRun } from './helpers/run-command.js';

let base: string;
let clusterPath: string;

function run(argv: string[]): Promise<CommandRun> {
  return runCommand(Scan, argv, { thrownMessageToStderr: true });
}

function plant(dir: string, names: string[]): void {
  for (const n of names) {
    const p = join(dir, metricToPath(n));
    fs.mkdirSync(join(p, '..'), { recursive: true });
    fs.writeFileSync(p, '');
  }
}

beforeAll(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'ringshift-scancluster-'));
  plant(join(base, 'nodes/g1'), ['a.b', 'a.c']);
  plant(join(base, 'nodes/g2'), ['z.z']);
  clusterPath = join(base, 'cluster.yaml');
  fs.writeFileSync(
    clusterPath,
    [
      'ring:',
      '  impl: carbon',
      '  destinations:',
      '    - g1:2004:a',
      '    - g1:2104:b',
      '    - g2:2004:a',
      '    - g3:2004:a',
      'storage:',
      '  "g1:a": ./nodes/g1',
      '  "g1:b": ./nodes/g1/',
      '  g2: ./nodes/g2',
      '',
    ].join('\n'),
  );
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('scan --cluster with a real cluster file', () => {
  it('resolves relative storage paths and merges instances sharing a directory', async () => {
    const r = await resolveLocations(await loadClusterFile(clusterPath));
    expect(r.locations.map((l) => l.id)).toEqual(['g1:a+g1:b', 'g2']);
    expect(r.locations[0]!.members.map((m) => m.instance)).toEqual(['a', 'b']);
    expect(r.unmapped.map((m) => m.server)).toEqual(['g3']);
  });

  it('scans each directory once and names the location in --json', async () => {
    const r = await run(['--cluster', clusterPath, '--json']);
    const rows = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ScanEntry);
    expect(rows.map((x) => `${x.node} ${x.metric}`).sort()).toEqual(['g1:a+g1:b a.b', 'g1:a+g1:b a.c', 'g2 z.z']);
    expect(r.err).toMatch(/member g3:2004:a has no storage entry/);
    expect(r.code).toBe(1);
  });

  it('--node scans one location', async () => {
    const r = await run(['--cluster', clusterPath, '--node', 'g1:2104:b']);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').sort()).toEqual(['a.b\tg1:a+g1:b', 'a.c\tg1:a+g1:b']);
  });
});
