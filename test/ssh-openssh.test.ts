// The ssh driver and `ringshift apply` against a real OpenSSH sshd on loopback, started by
// .ci/sshd-test.sh (RINGSHIFT_SSHD_TEST describes it). Skipped in a plain `npm test`, where the
// in-process ssh2 server tests (ssh-driver, ssh-apply) run instead. Here OpenSSH's own SFTP server is
// used, with its extensions (fsync, hardlink, posix-rename, statvfs @openssh.com), and sshd's own
// handling of a client that dies while a flock(1) shell holds a lock.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/executor.js';
import { journalDir } from '../src/apply/journal.js';
import { runPlan } from '../src/plan/run-plan.js';
import { shq, SshDriver, type SshOptions } from '../src/storage/ssh-driver.js';
import { startLoopbackSshd } from '../bench/apply-sshd.js';
import { LocalDriver } from '../src/storage/local-driver.js';
import type { WalkEntry } from '../src/storage/driver.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { expectGapOnlyUnion, snapshotMetrics } from './helpers/apply-check.js';
import { driverContract, makeTree } from './helpers/driver-contract.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { canFlockLocally } from './helpers/flock.js';
import { realSshd } from './helpers/sshd.js';
import { ALL, writeThreeToFour } from './helpers/three-to-four.js';

const sshd = realSshd();
const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };
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

describe.skipIf(sshd === undefined)('the channel budget against real sshd session limits', () => {
  const hammer = async (d: SshDriver, root: string) => {
    const files = Array.from({ length: 64 }, (_, i) => `h/f${i}.wsp`);
    fs.mkdirSync(join(root, 'h'), { recursive: true });
    for (const f of files) fs.writeFileSync(join(root, f), Buffer.alloc(32, 5));
    // One-off commands each start a login shell (slow where .bashrc is): 16 of them, more than sshd allows sessions.
    const results = await Promise.allSettled([
      ...files.slice(0, 16).map((f) => d.exec(`cat ${shq(join(root, f))} >/dev/null`)),
      ...files.map(async (f) => (await d.lock(f, 'ex', 30_000)).release()),
      ...files.map((f) => d.fileIdentity(f)),
      ...files.map((f) => d.sha256(f)),
      ...files.map((f) => d.stat(f)),
    ]);
    const failed = results.filter((x) => x.status === 'rejected').map((x) => String((x as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
  };

  it(
    '64 concurrent locks, stats and checksums and 16 commands on one connection to an sshd with the default MaxSessions (10)',
    { timeout: 300_000 },
    async () => {
      const root = fs.realpathSync(fs.mkdtempSync(join(sshd!.dir, 'budget-')));
      const d = await SshDriver.connect(url(root), opts());
      try {
        await hammer(d, root);
      } finally {
        await d.close();
      }
    },
  );

  it(
    'an sshd that allows only 5 sessions: the driver finds out (channel open failure), lowers its budget and still does it all',
    { timeout: 300_000 },
    async () => {
      const own = await startLoopbackSshd({ dir: join(sshd!.dir, 'max5-sshd'), maxSessions: 5 });
      const root = fs.realpathSync(fs.mkdtempSync(join(sshd!.dir, 'budget3-')));
      const d = await SshDriver.connect(own.url(root), { identityFiles: [own.identity], knownHostsFiles: [own.knownHosts], agent: null });
      try {
        await hammer(d, root);
        expect(d.conn.channelLimit).toBeLessThanOrEqual(5);
      } finally {
        await d.close();
        await own.stop();
      }
    },
  );
});

describe.skipIf(sshd === undefined)('ringshift apply through OpenSSH', () => {
  const made: TestCluster[] = [];
  afterAll(() => made.forEach((c) => c.remove()));

  /** withGain: plant a partial file on a gained owner of every other metric (true) or of every metric ('all': all fills). */
  async function setup(prefix: string, metrics: string[], withGain: boolean | 'all' = true, urlOf: (path: string) => string = url) {
    const c = new TestCluster(prefix);
    made.push(c);
    fs.chmodSync(c.dir, 0o755);
    const { oldPath, newPath, sshPath, oldRing, newRing } = writeThreeToFour(c, (_, root) => urlOf(root));
    let k = 0;
    for (const m of metrics) {
      const o = owners(oldRing, m);
      for (let r = 0; r < o.length; r++) await c.plant(o[r]!, m, r, 600);
      const gain = owners(newRing, m).filter((n) => !o.includes(n));
      if (withGain === 'all') for (const g of gain) await c.plant(g, m, 2, 60);
      else if (withGain && gain.length > 0 && k++ % 2 === 0) await c.plant(gain[0]!, m, 2, 60);
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

  // Node-to-node pull: the nodes trust each other (node_ssh: names the key and known_hosts they use).
  const nodeSsh = (known = sshd!.knownHosts) =>
    `node_ssh: ${JSON.stringify(['-i', sshd!.identity, '-o', `UserKnownHostsFile=${known}`, '-o', 'IdentitiesOnly=yes'])}\n`;
  /** The copies the journals record as pulled node to node. */
  const pulledCopies = (plan: string): number => {
    const dir = journalDir(plan);
    let n = 0;
    for (const f of fs.readdirSync(dir))
      for (const line of fs.readFileSync(join(dir, f), 'utf8').split('\n'))
        if (line.includes('"op":"copy"') && line.includes('node-to-node pull')) n++;
    return n;
  };
  const leftoverTemps = (root: string): string[] => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.includes('.ringshift-')) out.push(e.name);
      }
    };
    walk(root);
    return out;
  };

  // Relayed and node-to-node pulled copies alike: kill -9 at a crash point, the same command resumes.
  it.each([
    ['fill-remote-write:3', 'relay'],
    ['copy-synced:2', 'relay'],
    ['delete-unlinked:1', 'relay'],
    ['copy-synced:2', 'pull'],
    ['copy-verified:1', 'pull'],
  ] as const)('kill -9 at %s (%s), then resume: nothing lost, no temp file left', async (point, transport) => {
    const { c, plan, sshPath, check } = await setup(
      `openssh-kill-${transport}`,
      Array.from({ length: 16 }, (_, i) => `rk${i}.io.wait`),
    );
    if (transport === 'pull') fs.appendFileSync(sshPath, nodeSsh());
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
      '--transport',
      transport,
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
    if (transport === 'pull') expect(pulledCopies(plan)).toBeGreaterThan(0);
    check();
    expect(leftoverTemps(join(c.dir, 'nodes'))).toEqual([]);
  });

  it(
    'sshd killed in the middle of a job: one clear line, exit 1 (never 13), and the same command resumes once sshd is back',
    { timeout: 600_000 },
    async () => {
      const own = await startLoopbackSshd({ dir: join(sshd!.dir, 'killed-sshd') });
      try {
        const { plan, sshPath, check } = await setup(
          'openssh-sshd-dies',
          Array.from({ length: 60 }, (_, i) => `die${i}.io.wait`),
          true,
          own.url,
        );
        const args = [
          join(PROJECT_ROOT, 'bin/run.js'),
          'apply',
          plan,
          '--cluster',
          sshPath,
          '--identity',
          own.identity,
          '--known-hosts',
          own.knownHosts,
        ];
        const env = { ...process.env, RINGSHIFT_NOW: String(NOW), SSH_AUTH_SOCK: '', RINGSHIFT_TEST_CRASH_AT: '' };
        const child = spawn(process.execPath, [...args, '--per-node', '1', '--concurrency', '1'], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        // Once a few actions are journaled, sshd and every session it runs die at once.
        const journalDone = () => {
          try {
            return fs
              .readdirSync(plan + '.journal')
              .reduce((n, f) => n + (fs.readFileSync(join(plan + '.journal', f), 'utf8').match(/"t":"done"/g)?.length ?? 0), 0);
          } catch {
            return 0;
          }
        };
        for (let i = 0; i < 600 && journalDone() < 3; i++) await new Promise((r) => setTimeout(r, 50));
        expect(journalDone()).toBeGreaterThanOrEqual(3);
        own.killAll();
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('hung'), 150_000))]);
        if (code === 'hung') child.kill('SIGKILL');
        expect(code, err + out).toBe(1);
        expect(out).toMatch(/^STOPPED: .*(lost the connection|did not answer|cannot reach|ECONNREFUSED|connect).*$/m);
        expect(err).not.toMatch(/\n\s+at /); // no stack trace
        await own.restart();
        const again = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 180_000 });
        expect(again.status, again.stderr + again.stdout).toBe(0);
        check();
      } finally {
        await own.stop();
      }
    },
  );

  it(
    'many fills into one node at --per-node 64 --concurrency 64 while carbon-cache holds some of their locks: no hang, no channel failure (sshd default MaxSessions 10)',
    { timeout: 400_000 },
    async () => {
      // The old design held an exec channel per lock and needed another one for each checksum: ten fills
      // holding locks on one connection took every session sshd allows and waited forever for one more.
      const own = await startLoopbackSshd({ dir: join(sshd!.dir, 'fills-sshd') });
      const held: number[] = [];
      let releaser: NodeJS.Timeout | undefined;
      try {
        const { c, plan, sshPath, check } = await setup(
          'openssh-many-fills',
          Array.from({ length: 48 }, (_, i) => `fills${i}.cpu.user`),
          'all',
          own.url,
        );
        const fills = fs
          .readFileSync(plan, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"op":"fill"'))
          .map((l) => JSON.parse(l) as { to: string; path: string });
        const into = new Map<string, string[]>();
        for (const f of fills) into.set(f.to, [...new Set([...(into.get(f.to) ?? []), f.path])]);
        const [busiest, paths] = [...into.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
        expect(paths.length).toBeGreaterThanOrEqual(12);
        // carbon-cache holds the locks of eight of these files for the first two seconds (one flock per
        // file: a second flock of the same file from this process would wait for the first).
        for (const rel of paths.slice(0, 8)) {
          const fd = fs.openSync(join(c.root(busiest), rel), 'r');
          fsExt.flockSync(fd, 'ex');
          held.push(fd);
        }
        releaser = setTimeout(() => held.splice(0).forEach((fd) => (fsExt.flockSync(fd, 'un'), fs.closeSync(fd))), 2000);
        const run = applyPlan({
          plan,
          cluster: sshPath,
          perNode: 64,
          concurrency: 64,
          ssh: { identityFiles: [own.identity], knownHostsFiles: [own.knownHosts], agent: null },
        });
        const r = await Promise.race([
          run,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('apply did not finish in 240 s: deadlock')), 240_000)),
        ]);
        expect(r.failed).toEqual([]);
        expect(r.exitCode()).toBe(0);
        expect(r.done.filled).toBeGreaterThanOrEqual(fills.length);
        check();
      } finally {
        clearTimeout(releaser);
        held.splice(0).forEach((fd) => (fsExt.flockSync(fd, 'un'), fs.closeSync(fd)));
        await own.stop();
      }
    },
  );

  it(
    'a node user whose login is slow (0.2 s per session): a few sessions per connection, not one per file',
    { timeout: 300_000 },
    async () => {
      const own = await startLoopbackSshd({ dir: join(sshd!.dir, 'slow-sshd'), slowLoginSeconds: 0.2 });
      try {
        const { plan, sshPath, check } = await setup(
          'openssh-slow-login',
          Array.from({ length: 40 }, (_, i) => `slow${i}.io.wait`),
          true,
          own.url,
        );
        const r = await applyPlan({
          plan,
          cluster: sshPath,
          ssh: { identityFiles: [own.identity], knownHostsFiles: [own.knownHosts], agent: null },
        });
        expect(r.failed).toEqual([]);
        expect(r.exitCode()).toBe(0);
        check();
        const sessions = fs
          .readFileSync(own.sessionsLog!, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
        const actions = r.done.copied + r.done.filled + r.done.deleted;
        expect(actions).toBeGreaterThan(40);
        // Four nodes, one connection each: SFTP, a shell for stats and syncs, a shell for locks.
        expect(sessions.length, sessions.join('\n')).toBeLessThanOrEqual(4 * 3);
      } finally {
        await own.stop();
      }
    },
  );

  it('node_ssh in the cluster file: copies travel node to node (hostile names too), checked on both nodes; a rerun is a no-op', async () => {
    const metrics = [
      ...Array.from({ length: 30 }, (_, i) => `pull${i}.io.wait`),
      'win.C:\\Perf\\Processor(_Total)\\time.count',
      "odd name.$(touch pwned).it's",
      'star*.q?uery[1].x',
    ];
    const { c, plan, sshPath, check } = await setup('openssh-pull', metrics, true);
    fs.appendFileSync(sshPath, nodeSsh());
    const r = await applyPlan({ plan, cluster: sshPath, ssh: opts() });
    expect(r.failed).toEqual([]);
    expect(r.exitCode()).toBe(0);
    expect(r.done.copied).toBeGreaterThan(5);
    expect(pulledCopies(plan)).toBe(r.done.copied);
    expect(r.notes.join('\n')).not.toMatch(/cannot pull/);
    const said = r.notes.map((n) => /^n\d → n\d: (\d+) cop(?:y|ies) pulled node to node$/.exec(n)).filter((m) => m !== null);
    expect(said.reduce((sum, m) => sum + Number(m![1]), 0)).toBe(r.done.copied);
    check();
    expect(leftoverTemps(join(c.dir, 'nodes'))).toEqual([]);
    expect(fs.existsSync(join(c.dir, 'pwned'))).toBe(false);
    const again = await applyPlan({ plan, cluster: sshPath, ssh: opts() });
    expect(again.done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
  });

  it('node_ssh that cannot log in: auto goes through this machine and says so once per pair; --transport pull stops with one line', async () => {
    const metrics = Array.from({ length: 12 }, (_, i) => `nopull${i}.io.wait`);
    const bad = join(sshd!.dir, 'empty_known_hosts');
    fs.writeFileSync(bad, '');
    const a = await setup('openssh-nopull', metrics, true);
    fs.appendFileSync(a.sshPath, nodeSsh(bad));
    const r = await applyPlan({ plan: a.plan, cluster: a.sshPath, ssh: opts() });
    expect(r.exitCode()).toBe(0);
    expect(pulledCopies(a.plan)).toBe(0);
    const notes = r.notes.filter((n) => /cannot pull from/.test(n));
    expect(notes.length).toBeGreaterThan(0);
    expect(new Set(notes).size).toBe(notes.length);
    a.check();

    const b = await setup('openssh-mustpull', metrics, true);
    fs.appendFileSync(b.sshPath, nodeSsh(bad));
    await expect(applyPlan({ plan: b.plan, cluster: b.sshPath, ssh: opts(), transport: 'pull' })).rejects.toThrow(
      /^n\d cannot pull from n\d over ssh: .*Host key verification failed/,
    );
    expect(leftoverTemps(join(b.c.dir, 'nodes'))).toEqual([]);
    // Nothing was lost: the same plan then finishes through this machine.
    const relayed = await applyPlan({ plan: b.plan, cluster: b.sshPath, ssh: opts(), transport: 'relay' });
    expect(relayed.exitCode()).toBe(0);
    b.check();
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
