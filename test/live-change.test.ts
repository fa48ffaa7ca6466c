// The phased runbook end to end on a live cluster: real carbon-caches (WHISPER_LOCK_WRITES) behind a real
// carbon-c-relay, a line writer sending every metric every second throughout. A node is added (2 → 3,
// carbon_ch): plan --phased, then apply runs pre-copy, the relay is switched (SIGHUP), apply confirms
// the switch from liveness, backfills the window, verifies and cleans up. At every phase boundary a
// graphite-web merged read (CLUSTER_SERVERS over every node, REMOTE_STORE_MERGE_RESULTS on) of every
// metric has no hole and no wrong value; at the end the owners alone hold every point ever written.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhase, type PhaseOutcome } from '../src/apply/phase-runner.js';
import { mergeReadersClean } from '../src/plan/read-impact.js';
import { runPlan } from '../src/plan/run-plan.js';
import { requireComponent, useCarbonHarness } from './helpers/carbon-cluster.js';
import { startLineWriter } from './helpers/carbon-writers.js';
import { checkReads, readGraphiteWeb, storesOfCaches, storesOfClusterFile, type CheckReport } from './helpers/graphite-read.js';

const FLUSH_ALLOWANCE_MS = 5_000;
const METRICS = Array.from({ length: 24 }, (_, i) => `live.app${i % 4}.host${i}.requests`);

describe('live change: add a node with the phased runbook', () => {
  const h = useCarbonHarness();

  it('no hole in any merged read at any phase boundary, no point lost, old copies gone', async () => {
    requireComponent('carbonCache', 'crelay', 'graphiteWeb');
    const t0 = Date.now();
    const caches = await h().startCaches(2);
    const relay = await h().startCRelay({ hash: 'carbon_ch', replication: 1, members: caches });
    const w = await startLineWriter({ host: relay.host, port: relay.port, metrics: METRICS });
    await w.waitSteps(6);
    const c3 = await h().startCache();
    const oldRing = { ...relay.ring };
    const newRing = { ...relay.ring, members: [...caches, c3] };
    const oldFile = h().writeClusterFile(join(h().dir, 'old.yaml'), oldRing);
    const newFile = h().writeClusterFile(join(h().dir, 'new.yaml'), newRing);
    const since = Math.floor(t0 / 1000) - 5;
    const checks: { at: string; report: CheckReport }[] = [];
    const check = async (at: string) => {
      await new Promise((r) => setTimeout(r, FLUSH_ALLOWANCE_MS));
      const stores = storesOfCaches(h().caches);
      const report = await checkReads({
        logs: w.log,
        read: async (m, win) => readGraphiteWeb(m, { stores, merge: true, carbonlink: 'local', ...win }),
        dueBefore: Date.now() - FLUSH_ALLOWANCE_MS,
        since,
      });
      checks.push({ at, report });
      expect(report.ok, `${at}: ${report.summary}`).toBe(true);
    };

    const plan = join(h().dir, 'change.plan');
    const planned = await runPlan({
      clusterPath: newFile,
      oldRing: oldFile,
      phased: true,
      keepSource: false,
      moveSuspected: false,
      maxFill: 1,
      throughput: 50 * 1024 * 1024,
      output: plan,
    });
    expect(planned.runbook?.phases.map((p) => p.name)).toEqual(['pre-copy', 'switch', 'backfill', 'verify', 'cleanup']);
    // The read-impact model says what the reads below show: graphite-web with merge on sees no gap in any phase.
    expect(mergeReadersClean(planned.readImpact!)).toBe(true);

    const phase = async (extra: Partial<Parameters<typeof runPhase>[0]> = {}): Promise<PhaseOutcome> =>
      runPhase({ plan, concurrency: 4, perNode: 2, lockTimeoutMs: 30_000, ...extra });

    // 1. pre-copy, the relay still on the old ring.
    const pre = await phase();
    expect(pre.phase).toBe('pre-copy');
    expect(pre.exitCode, pre.lines.join('\n')).toBe(0);
    const copied = METRICS.filter((m) => fs.existsSync(c3.pathOf(m)));
    expect(copied.length).toBeGreaterThan(0);
    await check('after pre-copy');

    // 2. switch: not yet deployed → apply waits and says what to deploy.
    const early = await phase({ liveWindow: 5 });
    expect(early.phase).toBe('switch');
    expect(early.status).toBe('waiting');
    expect(early.exitCode).toBe(3);
    const sw = await relay.switchRing(newRing);
    await w.waitSteps(8);
    const confirmed = await phase({ liveWindow: 5 });
    expect(confirmed.status, confirmed.lines.join('\n')).toBe('done');
    expect((confirmed.json.switchedAt as number) * 1000).toBeGreaterThanOrEqual(sw.requestedAt - 2_000);
    await check('after the switch');

    // 3. backfill.
    const back = await phase();
    expect(back.phase).toBe('backfill');
    expect(back.exitCode, back.lines.join('\n')).toBe(0);
    expect(back.json.filled as number).toBeGreaterThan(0);
    await check('after backfill');

    // 4. verify.
    const ver = await phase();
    expect(ver.phase).toBe('verify');
    expect(ver.exitCode, ver.lines.join('\n')).toBe(0);
    expect(ver.json.missing).toBe(0);
    expect(ver.json.points as number).toBeGreaterThan(0);

    // 5. cleanup: the old copies go; the writer keeps writing.
    const clean = await phase();
    expect(clean.phase).toBe('cleanup');
    expect(clean.exitCode, clean.lines.join('\n')).toBe(0);
    for (const m of copied) {
      const holders = h()
        .caches.filter((c) => fs.existsSync(c.pathOf(m)))
        .map((c) => c.name);
      expect(holders, m).toEqual(['c3']);
    }
    await check('after cleanup');
    const done = await phase();
    expect(done.lines).toEqual(['every phase is done']);

    // The end: the new cluster's owners alone (no old store) hold every point ever sent.
    await w.stop();
    await h().settle(w.log);
    const owners = storesOfClusterFile(newFile, h().caches);
    const final = await checkReads({
      logs: w.log,
      read: async (m, win) => readGraphiteWeb(m, { stores: owners, merge: true, carbonlink: 'none', ...win }),
      dueBefore: Date.now(),
      since,
    });
    checks.push({ at: 'end, owners only', report: final });
    expect(final.ok, final.summary).toBe(true);
    console.log(
      `live change: ${checks.map((c) => `${c.at}: ${c.report.due} points, ${c.report.holes.length} holes`).join('; ')}; ` +
        `${copied.length} of ${METRICS.length} metrics moved; backfill ${back.lines[0]}; ${ver.lines[0]}; ${Math.round((Date.now() - t0) / 1000)} s`,
    );
  }, 300_000);
});
