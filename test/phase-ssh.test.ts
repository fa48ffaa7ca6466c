// The phased runbook on ssh:// storage, through the in-process ssh2 server: pre-copy, switch
// (--switched-at: liveness reads local files only), backfill and verify through the drivers (files
// read whole, the fill restricted to the window), cleanup. A point the old holder received after the
// pre-copy reaches the remote owner by the backfill; one it receives after that makes verify fail
// (nothing deleted) until backfill runs again; the end state is every metric on its owners only.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhase } from '../src/apply/phase-runner.js';
import { runPlan } from '../src/plan/run-plan.js';
import type { SshOptions } from '../src/storage/ssh-driver.js';
import { updateMany } from '../src/whisper/update.js';
import { NOW, owners, readPlan, TestCluster } from './audit-cluster.js';
import { fileSlots } from './helpers/apply-check.js';
import { sshServerForFile } from './helpers/sshd.js';
import { ALL, writeThreeToFour } from './helpers/three-to-four.js';

process.env.RINGSHIFT_NOW = String(NOW);

const REMOTE = ['n2', 'n3', 'n4'];

const clusters: TestCluster[] = [];
const ssh = sshServerForFile(() => clusters.forEach((c) => c.remove()));
const sshOpts = (): SshOptions => ssh.options();

/** The value of the finest archive's slot at `t` (undefined when empty). */
function pointAt(file: string, t: number): number | undefined {
  return fileSlots(file).get(`0:${t}`);
}

describe('phased runbook over ssh', () => {
  it('backfills and verifies pairs on ssh:// nodes; verify fails on a point the backfill has not carried yet', async () => {
    const c = new TestCluster('phase-ssh');
    clusters.push(c);
    const {
      oldPath: oldLocal,
      sshPath,
      oldRing,
      newRing,
    } = writeThreeToFour(c, (n, root) => (REMOTE.includes(n) ? ssh.server.url(root) : root));
    const metrics = Array.from({ length: 24 }, (_, i) => `phased${i}.cpu.user`);
    await c.plantRingChange(oldRing, newRing, metrics);

    const plan = join(c.dir, 'p.plan');
    const r = await runPlan({
      clusterPath: sshPath,
      oldRing: oldLocal,
      keepSource: false,
      moveSuspected: false,
      maxFill: 1,
      throughput: 50e6,
      output: plan,
      phased: true,
      ssh: sshOpts(),
    });
    expect(r.written).toBe(plan);
    const actions = readPlan(plan).filter((x) => x.type === 'action') as unknown as {
      op: string;
      metric: string;
      from?: string;
      to?: string;
      at?: string;
    }[];
    const leftover = (m: string, n: string) => actions.some((x) => x.op === 'delete' && x.metric === m && x.at === n);
    // A metric that leaves an old holder for an owner, one of the two on an ssh:// node.
    const moved = actions.find(
      (x) => x.op !== 'delete' && leftover(x.metric, x.from!) && (REMOTE.includes(x.from!) || REMOTE.includes(x.to!)),
    );
    expect(moved).toBeDefined();
    const { metric } = moved!;
    const from = moved!.from!;
    const to = moved!.to!;

    const base = { plan, ssh: sshOpts(), lockTimeoutMs: 5000 };
    const pre = await runPhase({ ...base, phase: 'pre-copy' });
    expect(pre.exitCode, pre.lines.join('\n')).toBe(0);
    // The relay still sends to the old holder: a point lands there after its history was copied.
    const t1 = NOW - 20;
    await updateMany(c.file(from, metric), [[t1, 4242]], { now: NOW });
    expect(pointAt(c.file(to, metric), t1)).toBeUndefined();

    // And one older than the window (pre-copy start − 10 min): the backfill leaves it alone.
    const t0 = Array.from({ length: 40 }, (_, i) => t1 - 60 * (i + 12)).find(
      (t) => pointAt(c.file(from, metric), t) === undefined && pointAt(c.file(to, metric), t) === undefined,
    )!;
    expect(t0).toBeDefined();
    await updateMany(c.file(from, metric), [[t0, 4141]], { now: NOW });

    const sw = await runPhase({ ...base, phase: 'switch', switchedAt: NOW });
    expect(sw.exitCode).toBe(0);
    const bf = await runPhase({ ...base, phase: 'backfill' });
    expect(bf.exitCode, bf.lines.join('\n')).toBe(0);
    expect(bf.json).toMatchObject({ status: 'done' });
    expect((bf.json as { remotePairs: number }).remotePairs).toBeGreaterThan(0);
    expect((bf.json as { filled: number }).filled).toBeGreaterThan(0);
    expect(pointAt(c.file(to, metric), t1)).toBe(4242);
    expect(pointAt(c.file(to, metric), t0)).toBeUndefined();
    // (The relay sent that old point to the new owners as well, so verify has only t2 to find missing.)
    for (const n of owners(newRing, metric)) await updateMany(c.file(n, metric), [[t0, 4141]], { now: NOW });

    // A late point the backfill has not carried: verify fails, and the cleanup refuses to run.
    // An older slot of the window that neither file holds (60 s apart: aligned for every archive step used here).
    const t2 = Array.from({ length: 8 }, (_, i) => t1 - 60 * (i + 1)).find(
      (t) => pointAt(c.file(from, metric), t) === undefined && pointAt(c.file(to, metric), t) === undefined,
    )!;
    expect(t2).toBeDefined();
    await updateMany(c.file(from, metric), [[t2, 4343]], { now: NOW });
    const v1 = await runPhase({ ...base, phase: 'verify' });
    expect(v1.exitCode).toBe(1);
    expect(v1.lines.join('\n')).toMatch(/1 point of .* missing/);
    await expect(runPhase({ ...base, phase: 'cleanup' })).rejects.toThrow(/verify/);
    expect(fs.existsSync(c.file(from, metric))).toBe(true);

    const bf2 = await runPhase({ ...base, phase: 'backfill' });
    expect(bf2.exitCode).toBe(0);
    expect(pointAt(c.file(to, metric), t2)).toBe(4343);
    const v2 = await runPhase({ ...base, phase: 'verify' });
    expect(v2.exitCode, v2.lines.join('\n')).toBe(0);
    expect((v2.json as { points: number }).points).toBeGreaterThan(0);

    const cl = await runPhase({ ...base, phase: 'cleanup' });
    expect(cl.exitCode, cl.lines.join('\n')).toBe(0);
    for (const m of metrics) for (const n of ALL) expect(fs.existsSync(c.file(n, m)), `${m} on ${n}`).toBe(owners(newRing, m).includes(n));
    expect(pointAt(c.file(to, metric), t1)).toBe(4242);
    expect(c.temps()).toEqual([]);
  });
});
