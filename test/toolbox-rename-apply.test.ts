// `ringshift rename` run as the user runs it: the built CLI writes the plan, `apply` runs it and is
// killed with SIGKILL at named points (RINGSHIFT_TEST_CRASH_AT, apply's test hook) or by the clock,
// then run again: every old copy's points end up in the new name on its owners (counted with the
// whisper engine), no old file is left, no temp file either, and a further run has nothing to do.
// Also `rename --yes` killed mid-apply and resumed with `apply PLAN`, and a rename on a cluster whose
// n2 and n3 are ssh:// locations (the in-process ssh2 server).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePoints, plantMetric } from '../src/example/seed.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { expectRenamed, snapshotNodes, type NodeSnapshot } from './helpers/rename-check.js';
import { runCommand } from './helpers/run-command.js';
import { sshServerForFile } from './helpers/sshd.js';

const { default: Rename } = await import('../commands/rename.js');

const RUN = join(PROJECT_ROOT, 'bin/run.js');
const NODES = ['n1', 'n2', 'n3'];
const RING = { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 };
/** Big enough (≈250 KiB) that a copy streams in several chunks. */
const RETENTIONS: [number, number][] = [
  [60, 20000],
  [3600, 720],
];

// 12 plain renames, 4 pairs merging into one name, 4 into names that exist already.
const RENAMES: Record<string, string> = {};
for (let i = 0; i < 12; i++) RENAMES[`legacy.app${i}.cpu`] = `apps.app${i}.cpu`;
for (let i = 0; i < 4; i++) {
  RENAMES[`legacy.pair${i}.a`] = `apps.pair${i}`;
  RENAMES[`legacy.pair${i}.b`] = `apps.pair${i}`;
}
for (let i = 0; i < 4; i++) RENAMES[`legacy.into${i}`] = `apps.into${i}`;
const KEPT = ['legacy.stays', 'apps.other'];
const ALL = [...new Set([...Object.keys(RENAMES), ...Object.values(RENAMES), ...KEPT])];
const MAP = Object.entries(RENAMES)
  .map(([o, n]) => `${o} ${n}`)
  .join('\n');

let template: TestCluster;
const made: TestCluster[] = [];
afterAll(() => [template, ...made].forEach((c) => c?.remove()));

async function plantAll(c: TestCluster, root: (n: string) => string): Promise<void> {
  const ring = c.ring('cluster.yaml');
  let k = 0;
  for (const m of [...Object.keys(RENAMES), ...KEPT]) {
    const o = owners(ring, m);
    for (let r = 0; r < o.length; r++)
      await plantMetric(root(o[r]!), m, { now: NOW, points: examplePoints(m, NOW, r, 400 + 40 * r), retentions: RETENTIONS });
    // Every third old name has a stray copy on the node that does not own it.
    if (k++ % 3 === 0 && m in RENAMES) {
      const stray = NODES.find((n) => !o.includes(n))!;
      await plantMetric(root(stray), m, { now: NOW, points: examplePoints(m, NOW, 2, 700), retentions: RETENTIONS });
    }
  }
  for (let i = 0; i < 4; i++)
    for (const n of owners(ring, `apps.into${i}`))
      await plantMetric(root(n), `apps.into${i}`, { now: NOW, points: examplePoints(`apps.into${i}`, NOW, 3, 90), retentions: RETENTIONS });
}

let before: NodeSnapshot;

function fresh(tag: string): { c: TestCluster; plan: string } {
  const c = new TestCluster(`rename-${tag}`);
  made.push(c);
  fs.cpSync(template.dir, c.dir, { recursive: true, preserveTimestamps: true });
  return { c, plan: join(c.dir, 'rename.plan') };
}

function cli(args: string[], crashAt = ''): { status: number | null; signal: string | null; out: string; err: string } {
  const env = { ...process.env, RINGSHIFT_NOW: String(NOW), RINGSHIFT_TEST_CRASH_AT: crashAt };
  const r = spawnSync(process.execPath, [RUN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

function writePlan(c: TestCluster, plan: string): void {
  const r = cli(['rename', '--cluster', join(c.dir, 'cluster.yaml'), '--map', join(c.dir, 'map.txt'), '-o', plan]);
  expect(r.status, r.err).toBe(0);
  expect(r.out).toMatch(/^plan .*: 24 old names → 20 new names/m);
}

function check(c: TestCluster): void {
  const ring = c.ring('cluster.yaml');
  const { points } = expectRenamed(
    before,
    RENAMES,
    KEPT,
    (m) => owners(ring, m),
    (n, m) => c.file(n, m),
  );
  expect(points).toBeGreaterThan(20 * 2 * 400);
  expect(c.temps()).toEqual([]);
}

beforeAll(async () => {
  template = new TestCluster('rename-template');
  template.writeCluster('cluster.yaml', RING, { n1: 'n1', n2: 'n2', n3: 'n3' });
  await plantAll(template, (n) => template.root(n));
  fs.writeFileSync(join(template.dir, 'map.txt'), `# renames\n${MAP}\n`);
  before = snapshotNodes(NODES, ALL, (n, m) => template.file(n, m));
  // An uninterrupted run gets there.
  const { c, plan } = fresh('reference');
  writePlan(c, plan);
  const r = cli(['apply', plan, '--concurrency', '3']);
  expect(r.status, r.err + r.out).toBe(0);
  check(c);
});

describe('kill -9 during the rename apply, then resume: nothing lost', () => {
  const points = [
    'copy-started:2',
    'copy-synced:1',
    'copy-placed:3',
    'copy-done:5',
    'fill-done:2',
    'after-copies:1',
    'delete-checked:2',
    'delete-unlinked:1',
    'delete-unlinked:7',
  ];

  it.each(points)('%s', (point) => {
    const { c, plan } = fresh(point.replace(':', '-'));
    writePlan(c, plan);
    const crashed = cli(['apply', plan, '--concurrency', '3'], point);
    expect(crashed.signal, `${point}: ${crashed.err}`).toBe('SIGKILL');
    const done = cli(['apply', plan]);
    expect(done.status, `${done.err}\n${done.out}`).toBe(0);
    check(c);
    const noop = cli(['apply', plan, '--json']);
    expect(noop.status, noop.err).toBe(0);
    expect(JSON.parse(noop.out).done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
  });

  it.each([150, 400])('killed by the clock after %i ms', async (ms) => {
    const { c, plan } = fresh(`t${ms}`);
    writePlan(c, plan);
    const env = { ...process.env, RINGSHIFT_NOW: String(NOW), RINGSHIFT_TEST_CRASH_AT: '' };
    const child = spawn(process.execPath, [RUN, 'apply', plan, '--concurrency', '4'], { env, stdio: 'ignore' });
    // Listen first: a run that finishes before the kill has exited already (a later listener would wait forever).
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
    child.kill('SIGKILL');
    await exited;
    const done = cli(['apply', plan]);
    expect(done.status, done.err).toBe(0);
    check(c);
  });

  it('rename --yes killed mid-apply is resumed by apply PLAN', () => {
    const { c, plan } = fresh('yes');
    const args = ['rename', '--cluster', join(c.dir, 'cluster.yaml'), '--map', join(c.dir, 'map.txt'), '--yes', '-o', plan];
    const crashed = cli(args, 'fill-done:3');
    expect(crashed.signal, crashed.err).toBe('SIGKILL');
    expect(crashed.err).toContain(`if interrupted: ringshift apply ${plan}`);
    const done = cli(['apply', plan]);
    expect(done.status, `${done.err}\n${done.out}`).toBe(0);
    check(c);
  });
});

describe('rename with ssh:// nodes', () => {
  const ssh = sshServerForFile();
  it('n2 and n3 over ssh: the same end state', async () => {
    const c = new TestCluster('rename-ssh');
    made.push(c);
    c.writeCluster('cluster.yaml', RING, { n1: 'n1', n2: 'n2', n3: 'n3' });
    await plantAll(c, (n) => c.root(n));
    const was = snapshotNodes(NODES, ALL, (n, m) => c.file(n, m));
    const storage = { n1: c.root('n1'), n2: ssh.server.url(c.root('n2')), n3: ssh.server.url(c.root('n3')) };
    const clusterFile = c.writeClusterAt('ssh.yaml', RING, storage);
    const map = join(c.dir, 'map.txt');
    fs.writeFileSync(map, MAP + '\n');
    const sshArgs = ['--identity', ssh.server.identityFile, '--known-hosts', ssh.server.knownHostsFile];
    const plan = join(c.dir, 'ssh.plan');
    process.env.RINGSHIFT_NOW = String(NOW);
    const r = await runCommand(Rename, ['--cluster', clusterFile, '--map', map, '--yes', '-o', plan, '--quiet', ...sshArgs]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('ok: everything selected is done');
    const ring = c.ring('cluster.yaml');
    expectRenamed(
      was,
      RENAMES,
      KEPT,
      (m) => owners(ring, m),
      (n, m) => c.file(n, m),
    );
    expect(c.temps()).toEqual([]);
  });
});
