// audit and plan through a real OpenSSH sshd (RINGSHIFT_SSHD_TEST, as set by .ci/sshd-test.sh; skipped
// otherwise): every node remote, the plan equals the one made on the local view of the same
// directories, free space comes from OpenSSH's statvfs, apply settles it, and the audit is clean.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/executor.js';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { runPlan } from '../src/plan/run-plan.js';
import type { SshOptions } from '../src/storage/ssh-driver.js';
import { NOW, owners, readPlan, TestCluster } from './audit-cluster.js';
import { realSshd } from './helpers/sshd.js';
import { ALL, writeThreeToFour } from './helpers/three-to-four.js';

const sshd = realSshd();
process.env.RINGSHIFT_NOW = String(NOW);
const url = (path: string) => `ssh://${sshd!.user}@${sshd!.host}:${sshd!.port}${path}`;
const opts = (): SshOptions => ({ identityFiles: [sshd!.identity], knownHostsFiles: [sshd!.knownHosts], agent: null });

describe.skipIf(sshd === undefined)('audit and plan through OpenSSH', () => {
  const made: TestCluster[] = [];
  afterAll(() => made.forEach((c) => c.remove()));

  it('a 3 → 4 change with every node remote plans as on the local view, applies and audits clean', async () => {
    const c = new TestCluster('openssh-plan');
    made.push(c);
    fs.chmodSync(c.dir, 0o755);
    const { oldPath, newPath, sshPath, oldRing, newRing } = writeThreeToFour(c, (_, root) => url(root));
    const metrics = Array.from({ length: 20 }, (_, i) => `ossh${i}.load.avg`);
    for (const m of metrics) {
      const o = owners(oldRing, m);
      for (let r = 0; r < o.length; r++) await c.plant(o[r]!, m, r, 600);
    }
    const common = { oldRing: oldPath, keepSource: false, moveSuspected: false, maxFill: 1, throughput: 50e6 };
    const lp = join(c.dir, 'local.plan');
    const sp = join(c.dir, 'ssh.plan');
    const local = await runPlan({ ...common, clusterPath: newPath, output: lp });
    const remote = await runPlan({ ...common, clusterPath: sshPath, output: sp, ssh: opts() });
    const shape = (p: string) =>
      readPlan(p)
        .filter((r) => r.type === 'action')
        .map((r) => JSON.stringify([(r as { op: string }).op, r.metric, r.path]))
        .sort();
    expect(shape(sp)).toEqual(shape(lp));
    expect(remote.summary.counts).toEqual(local.summary.counts);
    expect(remote.summary.counts.copy).toBeGreaterThan(0);
    const lfs = local.destinations.find((d) => d.id === 'n1')!.filesystem;
    const rfs = remote.destinations.find((d) => d.id === 'n1')!.filesystem;
    // Same disk seen through statvfs: the same size (used differs by the reserved blocks at most).
    expect(rfs.capacity).toBeGreaterThanOrEqual(lfs.capacity);
    expect(rfs.locations.sort()).toEqual(ALL);

    const r = await applyPlan({ plan: sp, cluster: sshPath, ssh: opts() });
    expect(r.failed).toEqual([]);
    expect(r.exitCode()).toBe(0);
    const findings: AuditFinding[] = [];
    await runAudit({ clusterPath: sshPath, ssh: opts() }, (f) => void findings.push(f));
    expect(findings.filter((f) => f.kind !== 'ok')).toEqual([]);
    for (const m of metrics)
      expect(
        findings
          .filter((f) => f.metric === m)
          .map((f) => f.node)
          .sort(),
      ).toEqual(owners(newRing, m).sort());
  }, 120_000);
});
