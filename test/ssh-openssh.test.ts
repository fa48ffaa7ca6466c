// The ssh driver and `ringshift apply` against a real OpenSSH sshd on loopback, started by
// .ci/sshd-test.sh (RINGSHIFT_SSHD_TEST describes it). Skipped in a plain `npm test`, where the
// in-process ssh2 server tests (ssh-driver, ssh-apply) run instead. Here OpenSSH's own SFTP server is
// used, with its extensions (fsync, hardlink, posix-rename, statvfs @openssh.com), and sshd's own
// handling of a client that dies while a flock(1) shell holds a lock.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/executor.js';
import { runPlan } from '../src/plan/run-plan.js';
import { SshDriver, type SshOptions } from '../src/storage/ssh-driver.js';
import { LocalDriver } from '../src/storage/local-driver.js';
import type { WalkEntry } from '../src/storage/driver.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { expectGapOnlyUnion, snapshotMetrics } from './helpers/apply-check.js';
import { driverContract, makeTree } from './helpers/driver-contract.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { canFlockLocally } from './helpers/flock.js';
import { realSshd } from './helpers/sshd.js';

const sshd = realSshd();
process.env.RINGSHIFT_NOW = String(NOW);

const url = (path: string) => `ssh://${sshd!.user}@${sshd!.host}:${sshd!.port}${path}`;
const opts = (): SshOptions => ({ identityFiles: [sshd!.identity], knownHostsFiles: [sshd!.knownHosts], agent: null });

describe.skipIf(sshd === undefined)('real OpenSSH sshd', () => {
  let base = '';
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(join(sshd!.dir, 'contract-')));
  });

  driverContract(
    'openssh',
    () => base,
    (root) => SshDriver.connect(url(root), opts()),
  );

  it('offers the OpenSSH extensions the driver uses', async () => {
    const d = await SshDriver.connect(url(base), opts());
    try {
      const ext = await d.serverExtensions();
      for (const e of ['fsync@openssh.com', 'hardlink@openssh.com', 'posix-rename@openssh.com', 'statvfs@openssh.com'])
        expect(ext).toContain(e);
    } finally {
      await d.close();
    }
  });

  it('lists like the local driver (find over exec)', async () => {
    const root = join(base, 'listing');
    fs.mkdirSync(root);
    makeTree(root);
    const local = await LocalDriver.open(root);
    const remote = await SshDriver.connect(url(root), opts());
    try {
      const all = async (d: LocalDriver | SshDriver) => {
        const out: WalkEntry[] = [];
        for await (const b of d.list({ stat: true, followSymlinks: true })) out.push(...b);
        return out
          .map((e) => ({ ...e, mtimeMs: e.mtimeMs === undefined ? undefined : Math.floor(e.mtimeMs / 1000) }))
          .sort((a, b) => (a.rel < b.rel ? -1 : 1));
      };
      expect(await all(remote)).toEqual(await all(local));
    } finally {
      await remote.close();
    }
  });

  it('a remote flock excludes local lockers; sshd releases it when the client vanishes', async () => {
    const root = join(base, 'lock');
    fs.mkdirSync(root);
    const file = join(root, 'm.wsp');
    fs.writeFileSync(file, 'x');
    const tryLocal = () => canFlockLocally(file);
    // A child process takes the lock through sshd, reports, and is killed -9.
    const script = `
      import { SshDriver } from ${JSON.stringify(join(PROJECT_ROOT, 'dist/src/storage/ssh-driver.js'))};
      const d = await SshDriver.connect(${JSON.stringify(url(root))}, ${JSON.stringify(opts())});
      await d.lock('m.wsp', 'ex', 5000);
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('locked') && resolve()));
    expect(tryLocal()).toBe(false);
    child.kill('SIGKILL');
    let free = false;
    for (let i = 0; i < 100 && !free; i++) {
      free = tryLocal();
      if (!free) await new Promise((r) => setTimeout(r, 100));
    }
    expect(free).toBe(true);
  });
});

describe.skipIf(sshd === undefined)('ringshift apply through OpenSSH', () => {
  const NODES3 = ['n1:2004:a', 'n2:2004:a', 'n3:2004:a'];
  const NODES4 = [...NODES3, 'n4:2004:a'];
  const ALL = ['n1', 'n2', 'n3', 'n4'];
  const made: TestCluster[] = [];
  afterAll(() => made.forEach((c) => c.remove()));

  async function setup(prefix: string, metrics: string[], withGain = true) {
    const c = new TestCluster(prefix);
    made.push(c);
    fs.chmodSync(c.dir, 0o755);
    const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, { n1: 'n1', n2: 'n2', n3: 'n3' });
    const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, { n1: 'n1', n2: 'n2', n3: 'n3', n4: 'n4' });
    const sshPath = c.writeClusterAt(
      'ssh.yaml',
      { destinations: NODES4, replication: 2 },
      Object.fromEntries(ALL.map((n) => [n, url(c.root(n))])),
    );
    const oldRing = c.ring('old.yaml');
    const newRing = c.ring('new.yaml');
    let k = 0;
    for (const m of metrics) {
      const o = owners(oldRing, m);
      for (let r = 0; r < o.length; r++) await c.plant(o[r]!, m, r, 600);
      const gain = owners(newRing, m).filter((n) => !o.includes(n));
      if (withGain && gain.length > 0 && k++ % 2 === 0) await c.plant(gain[0]!, m, 2, 60);
    }
    const before = snapshotMetrics(metrics, ALL, (n, m) => c.file(n, m));
    const plan = join(c.dir, 'p.plan');
    await runPlan({
      clusterPath: newPath,
      oldRing: oldPath,
      keepSource: false,
      moveSuspected: false,
      maxFill: 1,
      throughput: 50e6,
      output: plan,
    });
    return {
      c,
      plan,
      sshPath,
      check: () =>
        expectGapOnlyUnion(
          before,
          ALL,
          (m) => owners(newRing, m),
          (n, m) => c.file(n, m),
        ),
    };
  }

  it('settles a 3 → 4 ring change with every node behind sshd; a second run is a no-op', async () => {
    const { plan, sshPath, check } = await setup(
      'openssh-apply',
      Array.from({ length: 40 }, (_, i) => `real${i}.io.wait`),
    );
    const r = await applyPlan({ plan, cluster: sshPath, ssh: opts() });
    expect(r.failed).toEqual([]);
    expect(r.exitCode()).toBe(0);
    check();
    const again = await applyPlan({ plan, cluster: sshPath, ssh: opts() });
    expect(again.exitCode()).toBe(0);
    expect(again.done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
  });

  it.each(['fill-remote-write:3', 'copy-synced:2', 'delete-unlinked:1'])('kill -9 at %s, then resume', async (point) => {
    const { c, plan, sshPath, check } = await setup(
      `openssh-kill`,
      Array.from({ length: 16 }, (_, i) => `rk${i}.io.wait`),
    );
    const args = [
      join(PROJECT_ROOT, 'bin/run.js'),
      'apply',
      plan,
      '--cluster',
      sshPath,
      '--identity',
      sshd!.identity,
      '--known-hosts',
      sshd!.knownHosts,
    ];
    const env = { ...process.env, RINGSHIFT_NOW: String(NOW), SSH_AUTH_SOCK: '' };
    const crashed = spawnSync(process.execPath, args, {
      env: { ...env, RINGSHIFT_TEST_CRASH_AT: point },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const done = spawnSync(process.execPath, [...args, '--lock-timeout', '15'], {
      env: { ...env, RINGSHIFT_TEST_CRASH_AT: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(done.status, done.stderr + done.stdout).toBe(0);
    check();
    const leftovers: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.includes('.ringshift-')) leftovers.push(e.name);
      }
    };
    walk(join(c.dir, 'nodes'));
    expect(leftovers).toEqual([]);
  });

  // A real full filesystem behind sshd: sftp-server answers "Failure", statvfs shows it full.
  const canMount = process.getuid?.() === 0;
  it.runIf(canMount)('a full remote filesystem stops the job cleanly and the job resumes once there is room', async (ctx) => {
    // Nothing on n4 yet (the filesystem mounted there would hide it).
    const { c, plan, sshPath, check } = await setup(
      'openssh-full',
      Array.from({ length: 30 }, (_, i) => `full${i}.io.wait`),
      false,
    );
    const n4 = join(c.dir, 'nodes', 'n4');
    expect(fs.readdirSync(n4)).toEqual([]);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', n4]).status !== 0) ctx.skip();
    try {
      const r = await applyPlan({ plan, cluster: sshPath, ssh: opts(), concurrency: 1 });
      expect(r.exitCode()).toBe(1);
      expect(r.stopped).toMatch(/no space left/);
      expect(r.done.deleted).toBe(0);
      expect(spawnSync('mount', ['-o', 'remount,size=8m', n4]).status).toBe(0);
      const again = await applyPlan({ plan, cluster: sshPath, ssh: opts() });
      expect(again.json(), JSON.stringify(again.failed)).toMatchObject({ exitCode: 0 });
      check();
    } finally {
      spawnSync('umount', ['-l', n4]);
    }
  });
});
