// audit and plan on ssh:// storage, through the in-process ssh2 server (SFTP and exec on this machine's
// filesystem): a 3 → 4 ring change planned over ssh gives the same actions as planned on the local view
// of the same directories, its header carries the ssh:// URLs, apply runs it, and an audit over ssh
// then finds every metric on exactly its owners.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Audit from '../commands/audit.js';
import { applyPlan } from '../src/apply/executor.js';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { checkFile, checkRemoteFile, runPlan } from '../src/plan/run-plan.js';
import { LocalDriver } from '../src/storage/local-driver.js';
import { metricToPath } from '../src/storage/paths.js';
import { verifyWhisper, verifyWhisperBuffer } from '../src/whisper/verify.js';
import type { SshOptions } from '../src/storage/ssh-driver.js';
import { NOW, owners, readPlan, runCommand, TestCluster } from './audit-cluster.js';
import { expectGapOnlyUnion, snapshotMetrics } from './helpers/apply-check.js';
import { sshServerForFile } from './helpers/sshd.js';
import { ALL, writeThreeToFour } from './helpers/three-to-four.js';

process.env.RINGSHIFT_NOW = String(NOW);

const REMOTE = ['n2', 'n3', 'n4'];

const clusters: TestCluster[] = [];
const ssh = sshServerForFile(() => clusters.forEach((c) => c.remove()));

function sshOpts(): SshOptions {
  return ssh.options();
}

/** The parts of an action that do not depend on how its files were stat'ed (SFTP mtimes are whole seconds). */
function shape(r: Record<string, unknown>): string {
  return JSON.stringify([r.op, r.metric, r.path, r.toPath, r.from, r.to, r.at]);
}

describe('audit and plan over ssh', () => {
  it('plan a 3 → 4 change with remote nodes as on the local view, apply it, and audit it settled', async () => {
    const c = new TestCluster('plan-ssh');
    clusters.push(c);
    const {
      oldPath: oldLocal,
      newPath: newLocal,
      sshPath,
      oldRing,
      newRing,
    } = writeThreeToFour(c, (n, root) => (REMOTE.includes(n) ? ssh.server.url(root) : root));
    const metrics = Array.from({ length: 24 }, (_, i) => `remote${i}.cpu.user`);
    await c.plantRingChange(oldRing, newRing, metrics);
    // A corrupt holder on a remote node: verified over ssh, skipped, never used.
    const moved = metrics.find((m) => !owners(newRing, m).includes('n2') && owners(oldRing, m).includes('n2'));
    expect(moved).toBeDefined();
    fs.truncateSync(c.file('n2', moved!), 100);
    const before = snapshotMetrics(
      metrics.filter((m) => m !== moved),
      ALL,
      (n, m) => c.file(n, m),
    );

    const common = { oldRing: oldLocal, keepSource: false, moveSuspected: false, maxFill: 1, throughput: 50e6 };
    const localPlan = join(c.dir, 'local.plan');
    const sshPlan = join(c.dir, 'ssh.plan');
    const local = await runPlan({ ...common, clusterPath: newLocal, output: localPlan });
    const remote = await runPlan({ ...common, clusterPath: sshPath, output: sshPlan, ssh: sshOpts() });
    expect(remote.written).toBe(sshPlan);

    const lrecs = readPlan(localPlan);
    const rrecs = readPlan(sshPlan);
    const header = rrecs[0] as { locations: { id: string; url: string }[] };
    for (const n of ALL) {
      const l = header.locations.find((x) => x.id === n)!;
      expect(l.url).toBe(REMOTE.includes(n) ? ssh.server.url(fs.realpathSync(c.root(n))) : fs.realpathSync(c.root(n)));
    }
    const body = (recs: typeof lrecs) =>
      recs
        .filter((r) => r.type !== 'header')
        .map((r) => shape(r as unknown as Record<string, unknown>))
        .sort();
    expect(body(rrecs)).toEqual(body(lrecs));
    expect(remote.summary.counts).toEqual(local.summary.counts);
    expect(remote.summary.counts.copy).toBeGreaterThan(0);
    expect(remote.summary.counts.delete).toBeGreaterThan(0);
    expect(rrecs.some((r) => r.type === 'skip' && r.at === 'n2' && /corrupt/.test(r.reason))).toBe(true);
    // Free space came from every node, the remote ones through their driver.
    expect(remote.destinations.map((d) => d.id).sort()).toEqual(ALL);
    for (const d of remote.destinations) expect(d.filesystem.capacity).toBeGreaterThan(0);
    // The remote nodes share one filesystem here (same host key, same st_dev): counted once, together.
    expect([...remote.destinations.find((d) => d.id === 'n2')!.filesystem.locations].sort()).toEqual(REMOTE);

    // Apply the ssh plan through ssh, with no cluster file: the header alone says where the nodes are.
    const r = await applyPlan({ plan: sshPlan, ssh: sshOpts() });
    expect(r.failed).toEqual([]);
    expect(r.exitCode()).toBe(0);
    // With the cluster file too: its ssh:// locations match the header's URLs (a second run has nothing to do).
    const again = await applyPlan({ plan: sshPlan, cluster: sshPath, ssh: sshOpts() });
    expect(again.exitCode()).toBe(0);
    expect(again.done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });

    const findings: AuditFinding[] = [];
    const audit = await runAudit({ clusterPath: sshPath, oldRing: oldLocal, ssh: sshOpts() }, (f) => void findings.push(f));
    // Every metric on exactly its owners: the only file not ok is the corrupt one left in place.
    const notOk = findings.filter((f) => f.kind !== 'ok');
    expect(notOk.map((f) => [f.node, f.metric])).toEqual([['n2', moved]]);
    for (const m of metrics) {
      const where = findings
        .filter((f) => f.metric === m && f.kind === 'ok')
        .map((f) => f.node)
        .sort();
      expect(where).toEqual([...owners(newRing, m)].sort());
    }
    expect(audit.tally.count('missing-replica')).toBe(0);
    // The commands pass their ssh flags through: the same audit from the CLI.
    const cli = await runCommand(Audit, [
      '--cluster',
      sshPath,
      '--old-ring',
      oldLocal,
      '--identity',
      ssh.server.identityFile,
      '--known-hosts',
      ssh.server.knownHostsFile,
      '--json',
    ]);
    expect(cli.code).toBe(0);
    const lines = cli.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { summary?: { locations: { id: string }[] }; kind?: string });
    // The truncated holder left in place: its own class (the audit reads the header of a remote file it
    // has to read for its liveness anyway).
    expect(lines.filter((l) => l.kind !== undefined).map((l) => l.kind)).toEqual(['truncated']);
    expect(lines.at(-1)!.summary!.locations.map((l) => l.id)).toEqual(ALL);
    expectGapOnlyUnion(
      before,
      ALL,
      (m) => owners(newRing, m),
      (n, m) => c.file(n, m),
    );
  }, 60_000);
});

describe('checking a holder through a driver', () => {
  it('finds what the local check finds: sound with data, corrupt (same error), gone', async () => {
    const c = new TestCluster('plan-ssh-check');
    clusters.push(c);
    const good = await c.plant('n1', 'check.good', 0, 120);
    const bad = await c.plant('n1', 'check.bad', 0, 120);
    fs.truncateSync(bad, 200);
    const root = fs.realpathSync(c.root('n1'));
    const d = await LocalDriver.open(root);
    try {
      for (const name of ['check.good', 'check.bad', 'check.gone']) {
        const rel = metricToPath(name);
        const local = checkFile(root, rel);
        const remote = await checkRemoteFile(d, rel);
        expect(remote).toEqual(local);
      }
      expect((await checkRemoteFile(d, metricToPath('check.good')))?.hasData).toBe(true);
      expect((await checkRemoteFile(d, metricToPath('check.bad')))?.ok).toBe(false);
      expect(await checkRemoteFile(d, metricToPath('check.gone'))).toBeNull();
    } finally {
      await d.close();
    }
    for (const f of [good, bad]) {
      const { path: _p, ...fromFile } = verifyWhisper(f);
      const { path: _q, ...fromBuffer } = verifyWhisperBuffer('x.wsp', fs.readFileSync(f));
      expect(fromBuffer).toEqual(fromFile);
    }
  });
});
