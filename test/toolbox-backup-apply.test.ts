// backup and restore as the user runs them, where the in-process tests cannot go: a cluster whose n2 and
// n3 are ssh:// locations (the in-process ssh2 server) — the backup reads over ssh and equals the one
// made of the same directories locally, the restore creates the files over ssh — and the built CLI's
// restore killed with SIGKILL at named points (apply's RINGSHIFT_TEST_CRASH_AT hook) and at moments chosen
// by the clock, then run again: the same files as an
// uninterrupted restore, no temp file left.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePoints, plantMetric } from '../src/example/seed.js';
import { metricToPath } from '../src/storage/paths.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { fileSlots } from './helpers/apply-check.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';
import { sshServerForFile } from './helpers/sshd.js';

const { default: Backup } = await import('../commands/backup.js');
const { default: Restore } = await import('../commands/restore.js');

const RUN = join(PROJECT_ROOT, 'bin/run.js');
const NODES = ['n1', 'n2', 'n3'];
const RING = { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 };
const STORE = { n1: 'n1', n2: 'n2', n3: 'n3' };
const METRICS = Array.from({ length: 40 }, (_, i) => `servers.host${i}.cpu`);
/** ≈250 KiB a file. */
const RETENTIONS: [number, number][] = [
  [60, 20000],
  [3600, 720],
];

const made: TestCluster[] = [];
afterAll(() => made.forEach((c) => c.remove()));
const ssh = sshServerForFile();

function cluster(tag: string): TestCluster {
  const c = new TestCluster(tag);
  made.push(c);
  c.writeCluster('cluster.yaml', RING, STORE);
  for (const n of NODES) c.root(n);
  return c;
}

function entries(tarFile: string, into: string): Map<string, Buffer> {
  fs.mkdirSync(into, { recursive: true });
  const r = spawnSync('tar', ['-xf', tarFile, '-C', into], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return new Map(METRICS.map((m) => [m, fs.readFileSync(join(into, metricToPath(m)))]));
}

let src: TestCluster;
let archive: string;

beforeAll(async () => {
  process.env.RINGSHIFT_NOW = String(NOW);
  src = cluster('backup-src');
  const ring = src.ring('cluster.yaml');
  for (const m of METRICS) {
    const o = owners(ring, m);
    for (let r = 0; r < o.length; r++)
      await plantMetric(src.root(o[r]!), m, { now: NOW, points: examplePoints(m, NOW, r, 300 + 60 * r), retentions: RETENTIONS });
  }
  archive = join(src.dir, 'local.tar');
  const r = await runCommand(Backup, ['--cluster', join(src.dir, 'cluster.yaml'), '--match', 'servers.**', '-o', archive, '--quiet']);
  expect(r.code, r.err).toBe(0);
});

describe('backup and restore with ssh:// nodes', () => {
  it('the backup over ssh equals the local one; the restore creates and gap-fills files over ssh', async () => {
    const sshArgs = ['--identity', ssh.server.identityFile, '--known-hosts', ssh.server.knownHostsFile];
    const remote = (c: TestCluster) =>
      c.writeClusterAt('ssh.yaml', RING, { n1: c.root('n1'), n2: ssh.server.url(c.root('n2')), n3: ssh.server.url(c.root('n3')) });
    const viaSsh = join(src.dir, 'ssh.tar');
    const b = await runCommand(Backup, ['--cluster', remote(src), '--match', 'servers.**', '-o', viaSsh, '--quiet', ...sshArgs]);
    expect(b.code, b.err).toBe(0);
    const local = entries(archive, join(src.dir, 'x-local'));
    const overSsh = entries(viaSsh, join(src.dir, 'x-ssh'));
    for (const m of METRICS) expect(overSsh.get(m)!.equals(local.get(m)!), m).toBe(true);

    const dst = cluster('restore-ssh');
    const ring = dst.ring('cluster.yaml');
    // One owner on an ssh:// node has the first metric already, with points of its own: a fill over ssh.
    const m0 = METRICS[0]!;
    const onSsh = owners(ring, m0).find((n) => n !== 'n1')!;
    await plantMetric(dst.root(onSsh), m0, { now: NOW, points: examplePoints(m0, NOW, 3, 60), retentions: RETENTIONS });
    const own = fileSlots(dst.file(onSsh, m0));
    const run = (journal: string) =>
      runCommand(Restore, [viaSsh, '--cluster', remote(dst), '--journal', join(dst.dir, journal), '--json', ...sshArgs]);
    const r = await run('j');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out.trim().split('\n').pop()!).summary as Record<string, number>;
    expect(summary).toMatchObject({ entries: 40, created: 79, filled: 1, failed: 0 });
    expect(summary.slots).toBeGreaterThan(0);
    for (const m of METRICS)
      for (const n of NODES) {
        const there = fs.existsSync(dst.file(n, m));
        expect(there, `${m} on ${n}`).toBe(owners(ring, m).includes(n));
        if (!there) continue;
        const want = fileSlots(join(src.dir, 'x-local', metricToPath(m)));
        const got = fileSlots(dst.file(n, m));
        if (m === m0 && n === onSsh) {
          for (const [k, v] of own) expect(got.get(k), `own slot ${k} kept`).toBe(v);
          expect(new Set(got.keys())).toEqual(new Set([...own.keys(), ...want.keys()]));
        } else expect(got, `${m} on ${n}`).toEqual(want);
      }
    expect(dst.temps()).toEqual([]);
    // Again: every file exists now, every fill (80, two thirds over ssh) finds nothing to add.
    const again = await run('j2');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out.trim().split('\n').pop()!).summary).toMatchObject({ created: 0, filled: 80, slots: 0, failed: 0 });
  });
});

describe('restore killed with SIGKILL, then run again', () => {
  const state = (c: TestCluster) =>
    NODES.flatMap((n) => METRICS.filter((m) => fs.existsSync(c.file(n, m))).map((m) => [n, m, fileSlots(c.file(n, m))] as const));
  const restore = (c: TestCluster, journal: string, crashAt = '') =>
    spawnSync(process.execPath, [RUN, 'restore', archive, '--cluster', join(c.dir, 'cluster.yaml'), '--journal', join(c.dir, journal)], {
      env: { ...process.env, RINGSHIFT_NOW: String(NOW), RINGSHIFT_TEST_CRASH_AT: crashAt },
      encoding: 'utf8',
      timeout: 120_000,
    });

  let reference: ReturnType<typeof state>;
  beforeAll(() => {
    const c = cluster('restore-ref');
    const r0 = restore(c, 'j0');
    expect(r0.status, r0.stderr).toBe(0);
    reference = state(c);
    expect(reference).toHaveLength(80);
  });

  it.each(['restore-intent:7', 'restore-placed:1', 'restore-placed:30'])('killed at %s', (point) => {
    const c = cluster(`restore-${point.replace(':', '-')}`);
    const crashed = restore(c, 'j1', point);
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const again = restore(c, 'j2');
    expect(again.status, again.stderr).toBe(0);
    expect(state(c)).toEqual(reference);
    expect(c.temps()).toEqual([]);
  });

  it("a second link of a placed file (killed between the link and the temp's unlink) is removed by the next run", () => {
    const c = cluster('restore-second-link');
    const r0 = restore(c, 'j0');
    expect(r0.status, r0.stderr).toBe(0);
    // What a kill right after link(temp, target) leaves: the target placed, the temp still beside it.
    const n = NODES.find((x) => fs.existsSync(c.file(x, METRICS[3]!)))!;
    const target = c.file(n, METRICS[3]!);
    const temp = join(target, '..', `.${target.split('/').pop()!}.ringshift-restore.tmp`);
    fs.linkSync(target, temp);
    expect(c.temps()).toHaveLength(1);
    const again = restore(c, 'j1');
    expect(again.status, again.stderr).toBe(0);
    expect(c.temps()).toEqual([]);
    expect(state(c)).toEqual(reference);
  });

  it.each([250, 600, 1200])('killed after %i ms', async (ms) => {
    const c = cluster(`restore-kill-${ms}`);
    const child = spawn(
      process.execPath,
      [RUN, 'restore', archive, '--cluster', join(c.dir, 'cluster.yaml'), '--journal', join(c.dir, 'j1')],
      {
        env: { ...process.env, RINGSHIFT_NOW: String(NOW) },
        stdio: 'ignore',
      },
    );
    // Listen first: a restore that finishes before the kill has exited already (a later listener would wait forever).
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
    child.kill('SIGKILL');
    await exited;
    const again = restore(c, 'j2');
    expect(again.status, again.stderr).toBe(0);
    expect(state(c)).toEqual(reference);
    expect(c.temps()).toEqual([]);
  });
});
