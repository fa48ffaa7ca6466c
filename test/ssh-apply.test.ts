// ringshift apply with ssh:// storage, through the in-process ssh2 server (SFTP on this machine's
// filesystem, exec with /bin/sh): plan on the local view of the nodes, apply through ssh, and check
// the same end state; remote fills under the node's flock; a full remote disk; kill -9 in the middle
// of a remote fill (the lock dies with the connection) and resume.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/executor.js';
import { runPlan } from '../src/plan/run-plan.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { parseByteRate } from '../src/units.js';
import type { SshOptions } from '../src/storage/ssh-driver.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { expectGapOnlyUnion, fileSlots, snapshotMetrics, type Snapshot } from './helpers/apply-check.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { sshServerForFile } from './helpers/sshd.js';
import { ALL, NODES3, NODES4 } from './helpers/three-to-four.js';

process.env.RINGSHIFT_NOW = String(NOW);
const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };

const clusters: TestCluster[] = [];
const ssh = sshServerForFile(() => clusters.forEach((c) => c.remove()));

function sshOpts(): SshOptions {
  return ssh.options();
}

/** A 3 → 4 cluster: local cluster files (for planning) and one where `remote` nodes are ssh:// URLs. */
async function setup(prefix: string, remote: string[], metrics: string[]) {
  const c = new TestCluster(prefix);
  clusters.push(c);
  const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, { n1: 'n1', n2: 'n2', n3: 'n3' });
  const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, { n1: 'n1', n2: 'n2', n3: 'n3', n4: 'n4' });
  const storage = Object.fromEntries(ALL.map((n) => [n, remote.includes(n) ? ssh.server.url(c.root(n)) : c.root(n)]));
  const sshPath = c.writeClusterAt('ssh.yaml', { destinations: NODES4, replication: 2 }, storage);
  const oldRing = c.ring('old.yaml');
  const newRing = c.ring('new.yaml');
  await c.plantRingChange(oldRing, newRing, metrics);
  const before: Snapshot = snapshotMetrics(metrics, ALL, (n, m) => c.file(n, m));
  const plan = join(c.dir, 'p.plan');
  const r = await runPlan({
    clusterPath: newPath,
    oldRing: oldPath,
    keepSource: false,
    moveSuspected: false,
    maxFill: 1,
    throughput: 50e6,
    output: plan,
  });
  expect(r.written).toBe(plan);
  const check = () =>
    expectGapOnlyUnion(
      before,
      ALL,
      (m) => owners(newRing, m),
      (n, m) => c.file(n, m),
    );
  return { c, plan, sshPath, check };
}

function temps(c: TestCluster): string[] {
  return c.temps();
}

describe('apply over ssh', () => {
  it('settles a 3 → 4 ring change with every node remote but one; a second run is a no-op', async () => {
    // With names GNU tools print escaped (a backslash, as in Windows performance counters): nothing
    // parses a name out of a tool's output. (Names with a line break are left alone by the planner.)
    const metrics = [
      ...Array.from({ length: 30 }, (_, i) => `ssh${i}.disk.free`),
      ...Array.from({ length: 8 }, (_, i) => `win${i}.perf.\\Processor(_Total)\\% Processor Time`),
    ];
    const { c, plan, sshPath, check } = await setup('ssh-apply', ['n2', 'n3', 'n4'], metrics);
    const execsBefore = ssh.server.stats.execs.length;
    const connsBefore = ssh.server.stats.connections;
    const r = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts() });
    expect(r.failed).toEqual([]);
    expect(r.exitCode()).toBe(0);
    expect(r.done.copied).toBeGreaterThan(0);
    expect(r.done.filled).toBeGreaterThan(0);
    expect(r.done.deleted).toBeGreaterThan(0);
    check();
    expect(temps(c)).toEqual([]);
    const execs = ssh.server.stats.execs.slice(execsBefore);
    // Whatever the nodes do beyond SFTP runs in long-lived shells (one for stats and syncs, one for
    // flocks), started once per connection: never a command, and a login shell, per file.
    const connections = ssh.server.stats.connections - connsBefore;
    expect(
      execs.every((e) => e === 'exec env LC_ALL=C /bin/sh'),
      execs.join('\n'),
    ).toBe(true);
    expect(execs.length).toBeLessThanOrEqual(2 * connections);
    expect(execs.length).toBeGreaterThan(0);
    const again = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts() });
    expect(again.exitCode()).toBe(0);
    expect(again.done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
  });

  it('a remote fill waits for the flock carbon-cache holds, and fails (to be retried) when it is not released', async () => {
    const metrics = Array.from({ length: 12 }, (_, i) => `lock${i}.mem.used`);
    const { c, plan, sshPath, check } = await setup('ssh-lock', ['n1', 'n2', 'n3', 'n4'], metrics);
    const fills = fs
      .readFileSync(plan, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"op":"fill"') && !l.includes('"after"'))
      .map((l) => JSON.parse(l) as { from: string; to: string; path: string; toPath?: string });
    // A fill with slots to write (one with nothing to write never needs the lock).
    const needy = [];
    for (const f of fills) {
      const dst = join(c.dir, 'nodes', f.to, f.toPath ?? f.path);
      const rep = await fillGaps(join(c.dir, 'nodes', f.from, f.path), dst, { now: NOW, dryRun: true, lock: false });
      if (rep.total > 0) needy.push(dst);
    }
    expect(needy.length).toBeGreaterThan(0);
    const target = needy[0]!;
    const fd = fs.openSync(target, 'r');
    fsExt.flockSync(fd, 'ex');
    let r;
    try {
      r = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts(), lockTimeoutMs: 1000 });
    } finally {
      fsExt.flockSync(fd, 'un');
      fs.closeSync(fd);
    }
    expect(r.counts.failed).toBeGreaterThan(0);
    expect(r.failed.some((f) => f.code === 'Locked' && /still locked/.test(f.reason))).toBe(true);
    expect(r.exitCode()).toBe(1);
    const again = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts() });
    expect(again.exitCode()).toBe(0);
    check();
  });

  it('a full remote disk stops the job cleanly: sources intact, no temp or partial files; it resumes later', async () => {
    const metrics = Array.from({ length: 20 }, (_, i) => `full${i}.net.rx`);
    const { c, plan, sshPath, check } = await setup('ssh-full', ['n4'], metrics);
    const n4 = join(c.dir, 'nodes', 'n4');
    const sources = new Map<string, Buffer>();
    for (const n of ['n1', 'n2', 'n3']) {
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else sources.set(join(d, e.name), fs.readFileSync(join(d, e.name)));
        }
      };
      walk(join(c.dir, 'nodes', n));
    }
    let writes = 0;
    ssh.server.faults.failWrite = (path) => path.startsWith(n4 + '/') && ++writes > 2;
    ssh.server.faults.shellInput = (text) =>
      text.replace(
        /df -Pk -- '[^']*'/,
        `printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\\ntmpfs 4096 4096 0 100%% ${n4}\\n'`,
      );
    let r;
    try {
      r = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts(), concurrency: 1 });
    } finally {
      ssh.server.faults.failWrite = undefined;
      ssh.server.faults.shellInput = undefined;
    }
    expect(r.stopped).toMatch(/no space left/);
    expect(r.exitCode()).toBe(1);
    expect(r.done.deleted).toBe(0);
    for (const [f, data] of sources) if (fs.existsSync(f)) expect(fs.readFileSync(f).equals(data), f).toBe(true);
    expect(temps(c)).toEqual([]);
    const again = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts() });
    expect(again.exitCode()).toBe(0);
    check();
  });

  it('an owner file replaced after its copy was verified is never trusted: refilled (fresh whisper file) or the source kept (text file)', async () => {
    const metrics = Array.from({ length: 40 }, (_, i) => `swap${i}.cpu.idle`);
    const { c, plan, sshPath } = await setup('ssh-swap', ['n1', 'n2', 'n3', 'n4'], metrics);
    type A = {
      id: number;
      op: string;
      metric: string;
      path: string;
      from?: string;
      to?: string;
      at?: string;
      after?: number[];
      toPath?: string;
    };
    const acts = fs
      .readFileSync(plan, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"action"'))
      .map((l) => JSON.parse(l) as A);
    const byId = new Map(acts.map((a) => [a.id, a]));
    // Deletes whose data goes to n4 by a copy or fill from the very file deleted.
    const picks = acts.filter(
      (d) => d.op === 'delete' && d.at !== 'n4' && d.after!.some((x) => byId.get(x)!.to === 'n4' && byId.get(x)!.from === d.at),
    );
    expect(picks.length).toBeGreaterThanOrEqual(2);
    const [textCase, emptyCase] = picks;
    const before = snapshotMetrics([emptyCase!.metric], ALL, (n, m) => c.file(n, m));
    const sourceSlots = before.get(emptyCase!.metric)!.get(emptyCase!.at!)!;
    // n4's job first: its copies are verified and journaled; the other nodes' deletes have not run.
    const first = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts(), node: 'n4' });
    expect(first.counts.failed).toBe(0);
    // Then, behind our back: one owner file replaced by a text file, one by a fresh empty whisper file
    // of the same layout (what carbon-cache creates on a reinstalled node): new inodes, same sizes.
    const textOwner = c.file('n4', textCase!.metric);
    const size = fs.statSync(textOwner).size;
    fs.writeFileSync(textOwner + '.new', Buffer.alloc(size, 0x41));
    fs.renameSync(textOwner + '.new', textOwner);
    const emptyOwner = c.file('n4', emptyCase!.metric);
    const img = fs.readFileSync(emptyOwner);
    const headerLen = 16 + 12 * img.readUInt32BE(12);
    img.fill(0, headerLen);
    fs.writeFileSync(emptyOwner + '.new', img);
    fs.renameSync(emptyOwner + '.new', emptyOwner);
    const r = await applyPlan({ plan, cluster: sshPath, ssh: sshOpts() });
    expect(r.exitCode()).toBe(1);
    // The text file cannot hold the data: its source stays, the delete failed (to be retried).
    expect(fs.existsSync(c.file(textCase!.at!, textCase!.metric))).toBe(true);
    expect(r.failed.some((f) => f.id === textCase!.id)).toBe(true);
    // The empty whisper file was filled again from the source before the source went.
    expect(fs.existsSync(c.file(emptyCase!.at!, emptyCase!.metric))).toBe(false);
    const got = fileSlots(emptyOwner);
    for (const [k, v] of sourceSlots) expect(got.get(k), `slot ${k}`).toBe(v);
    const journal = fs.readFileSync(join(plan + '.journal', `${emptyCase!.at}.ndjson`), 'utf8');
    expect(journal).toMatch(new RegExp(`"t":"refill","id":${emptyCase!.id},"to":"n4"`));
  });

  it('a throttled remote fill (--bwlimit 20K) never makes carbon-cache wait across its throttling sleeps', async () => {
    const metrics = Array.from({ length: 16 }, (_, i) => `bw${i}.disk.used`);
    const { c, plan } = await setup('ssh-bw', ['n1', 'n2', 'n3', 'n4'], metrics);
    const lines = fs.readFileSync(plan, 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0]!) as { locations: { id: string; url: string }[] };
    // Only fills into one remote node, each with slots to write; every location reached over ssh.
    const fills: { id: number; from: string; to: string; path: string; toPath?: string; after?: number[] }[] = [];
    for (const l of lines) {
      const a = JSON.parse(l) as {
        type: string;
        op?: string;
        id: number;
        from: string;
        to: string;
        path: string;
        toPath?: string;
        after?: number[];
      };
      if (a.type !== 'action' || a.op !== 'fill' || (a.after ?? []).length > 0) continue;
      const dst = join(c.dir, 'nodes', a.to, a.toPath ?? a.path);
      if ((await fillGaps(join(c.dir, 'nodes', a.from, a.path), dst, { now: NOW, dryRun: true, lock: false })).total > 0) fills.push(a);
    }
    expect(fills.length).toBeGreaterThan(0);
    const target = fills[0]!;
    const mine = fills.filter((f) => f.to === target.to).slice(0, 4);
    header.locations = header.locations.map((l) => ({ ...l, url: ssh.server.url(l.url) }));
    const sshCluster = c.writeClusterAt(
      'ssh-all.yaml',
      { destinations: NODES4, replication: 2 },
      Object.fromEntries(ALL.map((n) => [n, ssh.server.url(c.root(n))])),
    );
    (header as { cluster?: string }).cluster = sshCluster;
    const small = join(c.dir, 'bw.plan');
    fs.writeFileSync(
      small,
      [
        JSON.stringify(header),
        ...lines.filter((l) => mine.some((f) => l.includes(`"id":${f.id},`))),
        JSON.stringify({ type: 'footer', actions: mine.length, skips: 0, bytes: 0 }),
      ].join('\n') + '\n',
    );
    // A writer like carbon-cache: takes the exclusive flock on the target again and again; we keep its longest wait.
    const targetFile = join(c.dir, 'nodes', target.to, target.toPath ?? target.path);
    const stop = join(c.dir, 'probe.stop');
    const probe = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const x=require(${JSON.stringify(join(PROJECT_ROOT, 'node_modules/fs-ext'))});let max=0;` +
          `(function loop(){if(fs.existsSync(${JSON.stringify(stop)})){console.log(max);return;}` +
          `const fd=fs.openSync(${JSON.stringify(targetFile)},'r');const t=performance.now();x.flockSync(fd,'ex');max=Math.max(max,performance.now()-t);` +
          `x.flockSync(fd,'un');fs.closeSync(fd);setTimeout(loop,5);})();`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    probe.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const t0 = performance.now();
    const r = await applyPlan({
      plan: small,
      cluster: sshCluster,
      ssh: sshOpts(),
      bwlimit: parseByteRate('20K', '--bwlimit'),
      concurrency: 2,
    });
    const elapsed = performance.now() - t0;
    fs.writeFileSync(stop, '');
    await new Promise((res) => probe.on('close', res));
    expect(r.exitCode(), JSON.stringify(r.json().failed)).toBe(0);
    expect(r.done.filled).toBe(mine.length);
    // The writer waited at most for one fill's slot writes, never across a throttling sleep. (No lower bound
    // on the run's time here: under load it varies, and it is not what this test is about.)
    const maxWait = Number(out.trim());
    expect(maxWait, `writer waited ${maxWait} ms in a ${Math.round(elapsed)} ms throttled run`).toBeLessThan(Math.max(250, elapsed / 6));
  });

  it('refuses an unknown host key (usage error) unless told to trust new hosts', async () => {
    const { plan, sshPath } = await setup('ssh-hostkey', ['n4'], ['hk.a.b', 'hk.c.d', 'hk.e.f', 'hk.g.h', 'hk.i.j', 'hk.k.l']);
    const kh = join(fs.mkdtempSync(join(PROJECT_ROOT, '..', 'ringshift-kh-')), 'known_hosts');
    try {
      const acts = fs.readFileSync(plan, 'utf8').includes('"to":"n4"');
      if (!acts) return; // nothing goes to n4 (unlikely): nothing to check
      await expect(applyPlan({ plan, cluster: sshPath, ssh: { ...sshOpts(), knownHostsFiles: [kh] } })).rejects.toThrow(
        /not in known_hosts/,
      );
      const r = await applyPlan({ plan, cluster: sshPath, ssh: { ...sshOpts(), knownHostsFiles: [kh], acceptNewHostKeys: true } });
      expect(r.exitCode()).toBe(0);
      expect(fs.readFileSync(kh, 'utf8')).toContain(`[127.0.0.1]:${ssh.server.port} ssh-ed25519 `);
    } finally {
      fs.rmSync(join(kh, '..'), { recursive: true, force: true });
    }
  });
});

/** Run the CLI without blocking this process (it serves the child's ssh connections). */
function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, out, err });
    });
  });
}

describe('kill -9 during a remote fill', () => {
  const RUN = join(PROJECT_ROOT, 'bin/run.js');
  it.each(['fill-remote-write:1', 'fill-remote-write:5', 'copy-verified:2', 'copy-placed:3'])('%s, then resume', async (point) => {
    const metrics = Array.from({ length: 16 }, (_, i) => `kill${i}.load.avg`);
    const { c, plan, sshPath, check } = await setup(`ssh-kill-${point.replace(':', '')}`, ['n1', 'n2', 'n3', 'n4'], metrics);
    const args = [
      RUN,
      'apply',
      plan,
      '--cluster',
      sshPath,
      '--identity',
      ssh.server.identityFile,
      '--known-hosts',
      ssh.server.knownHostsFile,
    ];
    const env = { ...process.env, RINGSHIFT_NOW: String(NOW), SSH_AUTH_SOCK: '' };
    const crashed = await runChild(args, { ...env, RINGSHIFT_TEST_CRASH_AT: point });
    expect(crashed.signal, crashed.err).toBe('SIGKILL');
    // The dead client's flock(1) shells go with its connection; the resume must not wait on them.
    const done = await runChild([...args, '--lock-timeout', '10'], { ...env, RINGSHIFT_TEST_CRASH_AT: '' });
    expect(done.status, done.err + done.out).toBe(0);
    check();
    expect(temps(c)).toEqual([]);
  });
});
