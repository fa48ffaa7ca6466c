// `ringshift heal` on real whisper files in real time: 3 nodes, replication 2. A writer updates every
// metric's owner files under flock each second; node n2 goes "down" for a window, during which the
// writer sends n2's share to the other owner and, for half of it (as an any_of relay would), to the third
// node (a stray), and a metric that appears only then is created without n2. n2 comes back, the writer keeps
// writing to every owner, and heal runs meanwhile: afterwards every owner — n2 included — holds every
// point ever written of its metrics (no hole in the window, nothing lost), the strays are folded into
// the owners and gone, and a second run finds nothing to do. The dry run shows files and bytes per
// source and writes nothing; a node that is no member and replication 1 are one line each.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Heal from '../commands/heal.js';
import { healNode } from '../src/toolbox/heal.js';
import { fileSlots } from './helpers/apply-check.js';
import { startFlockWriter, type FlockWriter, type PointLog } from './helpers/carbon-writers.js';
import { runCommand } from './helpers/run-command.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { plantMetric } from '../src/example/seed.js';

const NODES = ['n1:2004:a', 'n2:2004:a', 'n3:2004:a'];
const STORE = { n1: 'n1', n2: 'n2', n3: 'n3' };
const ALL = ['n1', 'n2', 'n3'];
const METRICS = Array.from({ length: 18 }, (_, i) => `heal.app${i % 3}.host${i}.requests`);
/** Created only during the outage (so n2 lacks its file when it comes back, if n2 owns it). */
const NEWCOMERS = Array.from({ length: 6 }, (_, i) => `heal.new${i}.count`);
const RETENTIONS = '1s:1h,10s:6h';

const made: TestCluster[] = [];
afterAll(() => made.forEach((c) => c.remove()));

const nowSec = () => Math.floor(Date.now() / 1000);

/** Timestamps of a file's finest archive (1 s). */
function finest(file: string): Set<number> {
  const out = new Set<number>();
  for (const k of fileSlots(file).keys()) if (k.startsWith('0:')) out.add(Number(k.slice(2)));
  return out;
}

function writerFor(c: TestCluster, targets: { metric: string; nodes: string[] }[]): FlockWriter {
  return startFlockWriter({
    files: targets.flatMap((t) => t.nodes.map((n) => ({ path: c.file(n, t.metric), metric: t.metric }))),
    step: 1,
    create: { retentions: RETENTIONS },
  });
}

describe('heal', () => {
  it('fills the outage window on the node from the other replica, folds strays back, loses no point', async () => {
    const c = new TestCluster('heal');
    made.push(c);
    const clusterPath = c.writeCluster('cluster.yaml', { destinations: NODES, replication: 2 }, STORE);
    const ring = c.ring('cluster.yaml');
    for (const n of ALL) c.root(n);
    const ownersOf = (m: string) => owners(ring, m);
    const down = 'n2';
    const ofDown = [...METRICS, ...NEWCOMERS].filter((m) => ownersOf(m).includes(down));
    expect(ofDown.length).toBeGreaterThan(3);
    expect(NEWCOMERS.some((m) => ownersOf(m).includes(down))).toBe(true);
    const logs: PointLog[] = [];

    // Before: every metric on its owners.
    let w = writerFor(
      c,
      METRICS.map((m) => ({ metric: m, nodes: ownersOf(m) })),
    );
    await w.waitSteps(4);
    await w.stop();
    logs.push(w.log);
    // The outage: n2 gets nothing; its metrics go to the other owner and, failing over, to the third node.
    const since = nowSec();
    w = writerFor(c, [
      ...[...METRICS, ...NEWCOMERS].map((m, k) => {
        const own = ownersOf(m);
        if (!own.includes(down)) return { metric: m, nodes: own };
        // Half of n2's share also fails over to the third node (a stray); the other half only reaches the other owner.
        return { metric: m, nodes: k % 2 === 0 || NEWCOMERS.includes(m) ? ALL.filter((n) => n !== down) : own.filter((n) => n !== down) };
      }),
    ]);
    await w.waitSteps(6);
    await w.stop();
    logs.push(w.log);
    const until = nowSec();
    const strays = [...METRICS, ...NEWCOMERS].flatMap((m) => ALL.filter((n) => !ownersOf(m).includes(n) && fs.existsSync(c.file(n, m))));
    expect(strays.length).toBeGreaterThan(2);
    expect(strays.length).toBeLessThan(ofDown.length);
    // n2 is back: every owner again, and the writer keeps writing while heal runs.
    w = writerFor(
      c,
      [...METRICS, ...NEWCOMERS].map((m) => ({ metric: m, nodes: ownersOf(m) })),
    );
    await w.waitSteps(3);
    // Before heal, n2 has a hole in the window for every metric it owns (the test can fail).
    const hole = (m: string) => {
      const f = c.file(down, m);
      if (!fs.existsSync(f)) return true;
      const have = finest(f);
      return logs[1]!.points(m).some((p) => !have.has(p.ts));
    };
    expect(ofDown.every(hole)).toBe(true);

    const dry = await runCommand(
      Heal,
      [down, '--cluster', clusterPath, '--since', String(since), '--until', String(until), '--dry-run', '--live-window', '2'],
      {
        cwd: c.dir,
      },
    );
    expect(dry.code, dry.out + dry.err).toBe(0);
    console.log(`heal dry run:\n${dry.out}`);
    expect(dry.out).toMatch(/from n[13]: window: \d+ files?, [1-9]\d* slots? to fill, [\d.]+ [KM]?i?B read/);
    expect(dry.out).toMatch(/from n[13]: .*[1-9]\d* strays? to fold into the owners and delete \([\d.]+ [KM]?i?B\)/);
    // Nothing written: n2 still has its holes, every stray is still there.
    expect(ofDown.every(hole)).toBe(true);
    expect(
      [...METRICS, ...NEWCOMERS].flatMap((m) => ALL.filter((n) => !ownersOf(m).includes(n) && fs.existsSync(c.file(n, m)))).length,
    ).toBe(strays.length);

    const run = await runCommand(
      Heal,
      [down, '--cluster', clusterPath, '--since', String(since), '--until', String(until), '--live-window', '2', '--json'],
      {
        cwd: c.dir,
      },
    );
    expect(run.code, run.out + run.err).toBe(0);
    const rows = run.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = rows.at(-1)!.summary as { liveStrays: number; apply: { exitCode?: number } | null };
    expect(summary.liveStrays).toBe(0);
    const perSource = rows.slice(0, -1) as unknown as {
      source: string;
      windowFiles: number;
      slots: number;
      strays: number;
      bytesRead: number;
    }[];
    expect(perSource.reduce((n, s) => n + s.strays, 0)).toBe(strays.length);
    expect(perSource.reduce((n, s) => n + s.slots, 0)).toBeGreaterThan(0);
    await w.waitSteps(2);
    await w.stop();
    logs.push(w.log);

    // Every owner holds every point ever written of its metrics; no file is left on a non-owner.
    let checked = 0;
    for (const m of [...METRICS, ...NEWCOMERS]) {
      for (const n of ALL) expect(fs.existsSync(c.file(n, m)), `${m} on ${n}`).toBe(ownersOf(m).includes(n));
      for (const o of ownersOf(m)) {
        const have = finest(c.file(o, m));
        const lost = logs.flatMap((l) => l.points(m)).filter((p) => !have.has(p.ts));
        expect(
          lost.map((p) => p.ts),
          `${m} on ${o}`,
        ).toEqual([]);
        checked += logs.reduce((k, l) => k + l.points(m).length, 0);
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(fs.existsSync(join(c.dir, `heal-${down}.plan`))).toBe(false);
    expect(c.temps()).toEqual([]);

    // Again: nothing left to fold, nothing to fill.
    const again = await healNode({
      cluster: clusterPath,
      node: down,
      since,
      until,
      now: nowSec(),
      planPath: join(c.dir, 'again.plan'),
      liveWindow: 2,
    });
    expect(again.exitCode).toBe(0);
    expect(again.apply).toBeNull();
    expect(again.sources.reduce((n, s) => n + s.slots + s.strays + s.copies, 0)).toBe(0);
  }, 120_000);

  it('--from-cluster: a replication-1 node gets the window from a mirror cluster, and only the window', async () => {
    const c = new TestCluster('heal-mirror');
    made.push(c);
    const clusterPath = c.writeCluster('a.yaml', { destinations: NODES, replication: 1 }, STORE);
    const mirrorPath = c.writeCluster('b.yaml', { destinations: ['m1:2004:a', 'm2:2004:a'], replication: 1 }, { m1: 'm1', m2: 'm2' });
    const ring = c.ring('a.yaml');
    const mirrorRing = c.ring('b.yaml');
    for (const n of [...ALL, 'm1', 'm2']) c.root(n);
    const retentions: [number, number][] = [
      [60, 1440],
      [600, 1008],
    ];
    const t0 = NOW - (NOW % 60) - 6 * 3600;
    const all = Array.from({ length: 360 }, (_, k) => t0 + k * 60);
    const value = (m: string, t: number) => (m.length * 1000 + ((t / 60) % 1000)) / 10;
    const since = t0 + 3 * 3600;
    const until = since + 3600;
    const earlier = [t0 + 3600, t0 + 3600 + 600]; // a gap before the window: heal must leave it
    const lacks = (t: number) => (t >= since && t <= until) || (t >= earlier[0]! && t < earlier[1]!);
    const onN2 = METRICS.filter((m) => owners(ring, m).includes('n2'));
    expect(onN2.length).toBeGreaterThanOrEqual(2);
    const missing = onN2[0]!;
    for (const m of METRICS) {
      const pts = all.map((t) => [t, value(m, t)] as [number, number]);
      await plantMetric(c.root(owners(mirrorRing, m)[0]!), m, { now: NOW, points: pts, retentions });
      const own = owners(ring, m)[0]!;
      if (m === missing) continue;
      await plantMetric(c.root(own), m, { now: NOW, points: own === 'n2' ? pts.filter(([t]) => !lacks(t)) : pts, retentions });
    }
    const r = await healNode({
      cluster: clusterPath,
      node: 'n2',
      since,
      until,
      now: NOW,
      fromCluster: mirrorPath,
      planPath: join(c.dir, 'h.plan'),
    });
    expect(r.exitCode).toBe(0);
    expect(r.apply).toBeNull();
    const fromMirror = r.sources.filter((s) => s.source.startsWith('mirror:'));
    expect(fromMirror.reduce((n, s) => n + s.copies, 0)).toBe(1);
    // Each file lacked 61 minute slots in the window; the 10-minute archive's window slots were aggregated already.
    expect(fromMirror.reduce((n, s) => n + s.slots, 0)).toBeGreaterThanOrEqual((onN2.length - 1) * 61);
    for (const m of onN2) {
      const have = new Map([...fileSlots(c.file('n2', m))].filter(([k]) => k.startsWith('0:')).map(([k, v]) => [Number(k.slice(2)), v]));
      for (const t of all) {
        const expectHave = m === missing || !(t >= earlier[0]! && t < earlier[1]!);
        expect(have.has(t), `${m} at ${t}`).toBe(expectHave);
        if (expectHave) expect(have.get(t), `${m} at ${t}`).toBe(value(m, t));
      }
    }
    // Window fills read the window, not the files: far less than the files' bytes.
    const filesBytes = onN2.reduce((n, m) => n + fs.statSync(c.file('n2', m)).size, 0);
    expect(fromMirror.reduce((n, s) => n + s.bytesRead, 0)).toBeLessThan(filesBytes);
  });

  it('an interrupted heal leaves its plan; the same call resumes it from the journal and finishes', async () => {
    const c = new TestCluster('heal-resume');
    made.push(c);
    const clusterPath = c.writeCluster('cluster.yaml', { destinations: NODES, replication: 2 }, STORE);
    const ring = c.ring('cluster.yaml');
    for (const n of ALL) c.root(n);
    const retentions: [number, number][] = [
      [60, 1440],
      [600, 1008],
    ];
    const t0 = NOW - (NOW % 60) - 6 * 3600;
    const all = Array.from({ length: 300 }, (_, k) => t0 + k * 60);
    const since = t0 + 3 * 3600;
    const until = since + 1800;
    const inWindow = (t: number) => t >= since && t <= until;
    const value = (m: string, t: number) => m.length + (t % 7919) / 100;
    const ofN2 = METRICS.filter((m) => owners(ring, m).includes('n2'));
    const strayAt = (m: string) => ALL.find((n) => !owners(ring, m).includes(n))!;
    for (const m of METRICS) {
      const pts = (keep: (t: number) => boolean) => all.filter(keep).map((t) => [t, value(m, t)] as [number, number]);
      for (const o of owners(ring, m))
        await plantMetric(c.root(o), m, { now: NOW, points: o === 'n2' ? pts((t) => !inWindow(t)) : pts(() => true), retentions });
      // Half of n2's metrics also went to the third node during the window.
      if (owners(ring, m).includes('n2') && ofN2.indexOf(m) % 2 === 0)
        await plantMetric(c.root(strayAt(m)), m, { now: NOW, points: pts(inWindow), retentions });
    }
    const strays = ofN2.filter((_, i) => i % 2 === 0);
    const planPath = join(c.dir, 'heal-n2.plan');
    const o = { cluster: clusterPath, node: 'n2', since, until, now: NOW, planPath };
    const stopped = await healNode({ ...o, interrupt: { signal: 'SIGINT' } });
    expect(stopped.exitCode).toBe(1);
    expect(stopped.apply?.stopped).toMatch(/interrupted by SIGINT/);
    expect(fs.existsSync(planPath)).toBe(true);
    for (const m of strays) expect(fs.existsSync(c.file(strayAt(m), m)), m).toBe(true);

    const resumed = await healNode(o);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.resumed?.exitCode()).toBe(0);
    expect(resumed.resumed?.done.deleted).toBe(strays.length);
    expect(fs.existsSync(planPath)).toBe(false);
    for (const m of strays) expect(fs.existsSync(c.file(strayAt(m), m)), m).toBe(false);
    for (const m of ofN2) {
      const have = finest(c.file('n2', m));
      expect(
        all.filter((t) => !have.has(t)),
        m,
      ).toEqual([]);
    }
  });

  it('says in one line when the node is not a member, or there is no other replica', async () => {
    const c = new TestCluster('heal-usage');
    made.push(c);
    const rf2 = c.writeCluster('rf2.yaml', { destinations: NODES, replication: 2 }, STORE);
    const rf1 = c.writeCluster('rf1.yaml', { destinations: NODES, replication: 1 }, STORE);
    for (const n of ALL) c.root(n);
    const notMember = await runCommand(Heal, ['n9', '--cluster', rf2, '--since', '-1h'], { cwd: c.dir, thrownMessageToStderr: true });
    expect(notMember.code).toBe(2);
    expect(notMember.err).toMatch(/"n9" is not a member of the ring of .*rf2\.yaml/);
    const single = await runCommand(Heal, ['n2', '--cluster', rf1, '--since', '-1h'], { cwd: c.dir, thrownMessageToStderr: true });
    expect(single.code).toBe(2);
    expect(single.err).toMatch(/n2 has no other replica to heal from: .* replication 1/);
    expect(single.err).toMatch(/--from-cluster/);
    const backwards = await runCommand(Heal, ['n2', '--cluster', rf2, '--since', '-1h', '--until', '-2h'], {
      cwd: c.dir,
      thrownMessageToStderr: true,
    });
    expect(backwards.code).toBe(2);
    expect(backwards.err).toMatch(/--since must be before --until/);
  });
});
