// ringshift plan on small clusters of real whisper files: the plan file's structure and dependencies,
// and its effect — executed by a minimal reference executor (copy, fillGaps, unlink), every point any
// holder had must be on every owner, and a second audit must find nothing to move.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Plan from '../commands/plan.js';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { dotVariants } from '../src/audit/variants.js';
import { ringFingerprint, type PlanAction, type PlanHeader, type PlanRecord, type PlanSkip } from '../src/plan/plan-file.js';
import { runPlan, type PlanInputs } from '../src/plan/run-plan.js';
import { checkRelPath } from '../src/storage/driver.js';
import { metricToPath } from '../src/storage/paths.js';
import { create } from '../src/whisper/create.js';
import { fetch } from '../src/whisper/fetch.js';
import { updateMany } from '../src/whisper/update.js';
import { examplePoints } from '../src/example/seed.js';
import { clusterFactory, executePlan, NOW, owners, readPlan, runCommand, TestCluster } from './audit-cluster.js';
import { NODES3, NODES4, STORE3, STORE4 } from './helpers/three-to-four.js';

const cluster = clusterFactory();

function defaults(clusterPath: string, output?: string, extra: Partial<PlanInputs> = {}): PlanInputs {
  return {
    clusterPath,
    keepSource: false,
    moveSuspected: false,
    maxFill: 1,
    throughput: 50 * 1024 * 1024,
    ...(output !== undefined ? { output } : {}),
    ...extra,
  };
}

async function audit(clusterPath: string, extra = {}): Promise<AuditFinding[]> {
  const out: AuditFinding[] = [];
  await runAudit({ clusterPath, ...extra }, (f) => void out.push(f));
  return out;
}

/** Non-null points of archive 0 over the last two hours. */
function points(file: string): Map<number, number> {
  const r = fetch(file, NOW - 7200, NOW, { now: NOW })!;
  const m = new Map<number, number>();
  r.values.forEach((v, i) => {
    if (v !== null) m.set(r.start + i * r.step, v);
  });
  return m;
}

function actions(recs: PlanRecord[]): PlanAction[] {
  return recs.filter((r): r is PlanAction => r.type === 'action');
}
function skips(recs: PlanRecord[]): PlanSkip[] {
  return recs.filter((r): r is PlanSkip => r.type === 'skip');
}

/** Every file's points, per metric, before a plan runs. */
function snapshot(c: TestCluster, nodes: string[], metrics: string[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const m of metrics) {
    const all = new Map<number, number>();
    for (const n of nodes) {
      const f = c.file(n, m);
      if (fs.existsSync(f)) for (const [t, v] of points(f)) all.set(t, v);
    }
    out.set(m, all);
  }
  return out;
}

describe('plan: a ring change with replication 2 (3 → 4 nodes)', () => {
  const c = cluster('plan-ring');
  const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
  const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
  const oldRing = c.ring('old.yaml');
  const newRing = c.ring('new.yaml');
  const metrics = Array.from({ length: 30 }, (_, i) => `svc${i}.requests.rate`);
  const planPath = join(c.dir, 'shuffle.plan');
  const ready = c.plantOnOwners(oldRing, metrics);

  it('writes a complete plan: header, actions with stamps and dependencies, footer', async () => {
    await ready;
    const res = await runPlan(defaults(newPath, planPath, { oldRing: oldPath }));
    expect(res.written).toBe(planPath);
    expect(fs.readdirSync(c.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const recs = readPlan(planPath);
    const header = recs[0] as PlanHeader;
    expect(header).toMatchObject({ type: 'header', format: 'ringshift-plan', version: 1, cluster: newPath });
    expect(header.ringFingerprint).toBe(ringFingerprint(newRing.spec));
    expect(header.locations.map((l) => [l.id, l.url])).toEqual(['n1', 'n2', 'n3', 'n4'].map((n) => [n, join(c.dir, 'nodes', n)]));
    expect(header.options).toMatchObject({ keepSource: false, moveSuspected: false, oldRing: oldPath });
    const footer = recs.at(-1)!;
    const acts = actions(recs);
    expect(footer).toEqual({
      type: 'footer',
      actions: acts.length,
      skips: skips(recs).length,
      bytes: acts.filter((a) => a.op !== 'delete').reduce((n, a) => n + a.source.size, 0),
    });
    expect(acts.map((a) => a.id)).toEqual(acts.map((a) => a.id).sort((x, y) => x - y));

    const byId = new Map(acts.map((a) => [a.id, a]));
    for (const m of metrics) {
      const before = owners(oldRing, m);
      const after = owners(newRing, m);
      const mine = acts.filter((a) => a.metric === m);
      const moved = before.some((n) => !after.includes(n));
      if (!moved) {
        expect(mine).toEqual([]);
        continue;
      }
      // A copy to every new owner that lacked it, a delete from every old owner that is not one now.
      expect(
        mine
          .filter((a) => a.op === 'copy')
          .map((a) => (a.op === 'copy' ? a.to : ''))
          .sort(),
      ).toEqual(after.filter((n) => !before.includes(n)).sort());
      const deletes = mine.filter((a) => a.op === 'delete');
      expect(deletes.map((a) => (a.op === 'delete' ? a.at : '')).sort()).toEqual(before.filter((n) => !after.includes(n)).sort());
      for (const d of deletes) {
        if (d.op !== 'delete') continue;
        // Only after every copy and fill into the owners, which all come earlier in the file.
        const into = mine.filter((a) => a.op !== 'delete').map((a) => a.id);
        expect(d.after.sort()).toEqual(into.sort());
        for (const id of d.after) expect(id).toBeLessThan(d.id);
        // Its data reaches every owner: copied from it, or filled from it.
        for (const o of after) {
          const direct = mine.some((a) => a.op !== 'delete' && a.from === d.at && a.to === o);
          const copiedFromIt = mine.some((a) => a.op === 'copy' && a.to === o && a.from === d.at);
          expect(direct || copiedFromIt).toBe(true);
        }
      }
      for (const a of mine) {
        if (a.op === 'fill' && a.after !== undefined) {
          for (const id of a.after) expect(byId.get(id)).toMatchObject({ op: 'copy', to: a.to });
        }
      }
    }
  });

  it('stamps the header with the clock RINGSHIFT_NOW pins, and refuses a malformed one instead of ignoring it', async () => {
    await ready;
    const saved = process.env.RINGSHIFT_NOW;
    try {
      process.env.RINGSHIFT_NOW = '1700000000';
      const pinned = join(c.dir, 'pinned.plan');
      await runPlan(defaults(newPath, pinned, { oldRing: oldPath }));
      expect((readPlan(pinned)[0] as PlanHeader).created).toBe('2023-11-14T22:13:20.000Z');
      process.env.RINGSHIFT_NOW = 'soon';
      const refused = join(c.dir, 'refused.plan');
      await expect(runPlan(defaults(newPath, refused, { oldRing: oldPath }))).rejects.toThrow(/RINGSHIFT_NOW "soon" is not a time/);
      expect(fs.existsSync(refused)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.RINGSHIFT_NOW;
      else process.env.RINGSHIFT_NOW = saved;
    }
  });
  it('executed, puts every point on every owner and leaves nothing to move', async () => {
    await ready;
    const before = snapshot(c, ['n1', 'n2', 'n3'], metrics);
    await executePlan(planPath);
    for (const m of metrics) {
      for (const o of owners(newRing, m)) {
        const got = points(c.file(o, m));
        for (const [t, v] of before.get(m)!) expect(got.get(t)).toBe(v);
      }
      for (const n of ['n1', 'n2', 'n3', 'n4']) expect(fs.existsSync(c.file(n, m))).toBe(owners(newRing, m).includes(n));
    }
    const after = await audit(newPath);
    expect(after.filter((f) => f.kind !== 'ok')).toEqual([]);
    // A settled cluster plans nothing.
    const again = await runPlan(defaults(newPath));
    expect(again.summary.counts).toEqual({ copy: 0, fill: 0, delete: 0 });
  });
});

describe('plan: double-dot files stay, unless --move-suspected', () => {
  const c = cluster('plan-dd');
  const path = c.writeCluster('cluster.yaml', { destinations: NODES3 }, STORE3);
  const ring = c.ring('cluster.yaml');
  let stored = '';
  let raw = '';
  for (let i = 0; raw === ''; i++) {
    const s = `job${i}.duration.mean`;
    const v = dotVariants(s).find((x) => owners(ring, x)[0] !== owners(ring, s)[0]);
    if (v !== undefined) [stored, raw] = [s, v];
  }
  const rawNode = owners(ring, raw)[0]!;
  const storedNode = owners(ring, stored)[0]!;
  const names = join(c.dir, 'names.txt');
  const ready = (async () => {
    await c.plant(rawNode, raw);
    fs.writeFileSync(names, `${raw}\n`);
  })();

  it('confirmed: skipped with the fix, nothing moved, no copy to the stored name owner', async () => {
    await ready;
    const res = await runPlan(defaults(path, join(c.dir, 'a.plan'), { names }));
    const recs = readPlan(join(c.dir, 'a.plan'));
    expect(actions(recs)).toEqual([]);
    const s = skips(recs);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ at: rawNode, path: metricToPath(stored), metric: stored });
    expect(s[0]!.reason).toContain('double-dot (confirmed)');
    expect(s[0]!.reason).toContain(JSON.stringify(raw));
    expect(s[0]!.fix).toMatch(/normalize the name at the sender or the relay/);
    expect(res.summary.skipCounts.get('double-dot-confirmed')).toBe(1);
  });

  it('a suspected one (no --names): left alone while live, moved once stale', async () => {
    await ready;
    // Live: points after the switch. The raw-name guess is named as a sender; nothing moves.
    const live = await runPlan(defaults(path, undefined, { switchedAt: NOW - 7200 }));
    expect(live.summary.skipCounts.get('live')).toBe(1);
    expect(live.summary.counts).toEqual({ copy: 0, fill: 0, delete: 0 });
    // Stale: nothing writes it any more, so it is a leftover like any other.
    const moved = await runPlan(defaults(path, join(c.dir, 'b.plan')));
    expect(moved.summary.counts).toEqual({ copy: 1, fill: 0, delete: 1 });
    const acts = actions(readPlan(join(c.dir, 'b.plan')));
    expect(acts[0]).toMatchObject({ op: 'copy', from: rawNode, to: storedNode, path: metricToPath(stored) });
    expect(acts[1]).toMatchObject({ op: 'delete', at: rawNode, after: [acts[0]!.id] });
  });
});

describe('plan: carbon-relay.py → carbon-c-relay, splits merge into the cleansed twin', () => {
  const c = cluster('plan-crelay');
  const path = c.writeCluster(
    'new.yaml',
    { impl: 'carbon-c-relay', destinations: ['n1:2004', 'n2:2004', 'n3:2004'], replication: 2 },
    STORE3,
  );
  c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
  const ring = c.ring('new.yaml');
  const oldRing = c.ring('old.yaml');
  const split = 'api.get(users).p99';
  const lone = 'api.user@host.count';
  const twin = ring.locate(split).routedAs!;
  const loneTwin = ring.locate(lone).routedAs!;
  const planPath = join(c.dir, 'c.plan');
  const ready = (async () => {
    for (const [r, n] of owners(oldRing, split).entries()) await c.plant(n, split, r);
    for (const [r, n] of owners(ring, twin).entries()) await c.plant(n, twin, r + 1);
    for (const [r, n] of owners(oldRing, lone).entries()) await c.plant(n, lone, r);
  })();

  it('fills the twin from every split, copies a twin that does not exist yet, then deletes the splits', async () => {
    await ready;
    const before = snapshot(c, ['n1', 'n2', 'n3'], [split, twin, lone]);
    await runPlan(defaults(path, planPath));
    const acts = actions(readPlan(planPath));
    const splitFills = acts.filter((a) => a.op === 'fill' && a.path === metricToPath(split));
    // Each twin owner is filled from each split holder, into the twin's path.
    expect(splitFills.length).toBe(owners(ring, twin).length * owners(oldRing, split).length);
    for (const a of splitFills) expect(a).toMatchObject({ toPath: metricToPath(twin), metric: twin });
    const loneCopies = acts.filter((a) => a.op === 'copy' && a.path === metricToPath(lone));
    expect(loneCopies.map((a) => (a.op === 'copy' ? a.to : '')).sort()).toEqual(owners(ring, loneTwin).sort());
    for (const a of loneCopies) expect(a).toMatchObject({ toPath: metricToPath(loneTwin), metric: loneTwin });
    const deleted = acts.filter((a) => a.op === 'delete').map((a) => (a.op === 'delete' ? `${a.at}:${a.path}` : ''));
    expect(deleted.sort()).toEqual(
      [
        ...owners(oldRing, split).map((n) => `${n}:${metricToPath(split)}`),
        ...owners(oldRing, lone).map((n) => `${n}:${metricToPath(lone)}`),
      ].sort(),
    );

    const ownBefore = new Map(owners(ring, twin).map((o) => [o, points(c.file(o, twin))]));
    await executePlan(planPath);
    for (const o of owners(ring, twin)) {
      const got = points(c.file(o, twin));
      // Gap-only: the twin's own points stay; every slot any split or replica had is filled.
      for (const [t, v] of ownBefore.get(o)!) expect(got.get(t)).toBe(v);
      for (const src of [split, twin]) for (const t of before.get(src)!.keys()) expect(got.has(t)).toBe(true);
    }
    for (const o of owners(ring, loneTwin)) {
      const got = points(c.file(o, loneTwin));
      for (const [t, v] of before.get(lone)!) expect(got.get(t)).toBe(v);
    }
    expect((await audit(path)).filter((f) => f.kind !== 'ok')).toEqual([]);
  });
});

describe('plan: corrupt sources, source choice, --keep-source, --max-fill, awkward names', () => {
  const c = cluster('plan-misc');
  const path = c.writeCluster('cluster.yaml', { destinations: NODES3 }, STORE3);
  // A complete list of the names the relay receives (none with doubled dots): no file here is a
  // double-dot suspect, so every misplaced file is movable.
  const names = join(c.dir, 'names.txt');
  const ring = c.ring('cluster.yaml');
  const others = (m: string): string[] => ['n1', 'n2', 'n3'].filter((n) => n !== owners(ring, m)[0]);
  const corrupt = 'broken.metric.value';
  const big = 'choice.by.size';
  const newest = 'choice.by.mtime';
  const odd = ['odd.with space.x', 'odd.$(touch pwned).y', 'odd.naïve.ünï', 'odd.a/../../b', 'odd.*?[x]|&>'];
  const ready = (async () => {
    // Only copy of `corrupt`, on a non-owner, truncated.
    const f = await c.plant(others(corrupt)[0]!, corrupt);
    fs.truncateSync(f, 100);
    // Two non-owner copies of `big`: the second has a longer retention, so it is larger.
    await c.plant(others(big)[0]!, big);
    const larger = c.file(others(big)[1]!, big);
    fs.mkdirSync(join(larger, '..'), { recursive: true });
    create(
      larger,
      [
        [60, 720],
        [3600, 168],
        [86400, 365],
      ],
      { sparse: true },
    );
    await updateMany(larger, examplePoints(big, NOW, 1, 120), { now: NOW, lock: false });
    // Two same-size non-owner copies of `newest`, the second written later.
    await c.plant(others(newest)[0]!, newest);
    const later = await c.plant(others(newest)[1]!, newest, 1);
    fs.utimesSync(later, NOW + 60, NOW + 60);
    for (const m of odd) await c.plant(others(m)[0]!, m);
    fs.writeFileSync(names, [corrupt, big, newest, ...odd.map((m) => metricToPath(m).slice(0, -4).replaceAll('/', '.'))].join('\n') + '\n');
  })();

  it('skips a corrupt only copy: no copy, no delete', async () => {
    await ready;
    const res = await runPlan(defaults(path, join(c.dir, 'm.plan'), { names }));
    const recs = readPlan(join(c.dir, 'm.plan'));
    expect(actions(recs).filter((a) => a.metric === corrupt)).toEqual([]);
    const s = skips(recs).find((k) => k.metric === corrupt)!;
    expect(s.at).toBe(others(corrupt)[0]);
    expect(s.reason).toMatch(/^corrupt whisper file \(.*\): not copied, filled or deleted$/);
    expect(res.summary.skipCounts.get('corrupt')).toBe(1);
  });

  it('copies from the largest holder, then the newest; fills the copy from the other after it', async () => {
    await ready;
    const acts = actions(readPlan(join(c.dir, 'm.plan')));
    const bigCopy = acts.find((a) => a.op === 'copy' && a.metric === big)!;
    expect(bigCopy).toMatchObject({ from: others(big)[1], to: owners(ring, big)[0] });
    const bigFill = acts.find((a) => a.op === 'fill' && a.metric === big)!;
    expect(bigFill).toMatchObject({ from: others(big)[0], to: owners(ring, big)[0], after: [bigCopy.id] });
    expect(acts.find((a) => a.op === 'copy' && a.metric === newest)).toMatchObject({ from: others(newest)[1] });
  });

  it('plans paths that stay inside the root for awkward names', async () => {
    await ready;
    const acts = actions(readPlan(join(c.dir, 'm.plan')));
    for (const m of odd) {
      const mine = acts.filter((a) => a.metric === metricToPath(m).slice(0, -4).replaceAll('/', '.'));
      expect(mine.map((a) => a.op).sort()).toEqual(['copy', 'delete']);
      for (const a of mine) expect(checkRelPath(a.path)).toBe(metricToPath(m));
    }
  });

  it('--keep-source plans no deletes', async () => {
    await ready;
    const res = await runPlan(defaults(path, undefined, { keepSource: true, names }));
    expect(res.summary.counts.delete).toBe(0);
    expect(res.summary.counts.copy).toBeGreaterThan(0);
  });

  it('the command: dry run writes nothing; --max-fill refuses and leaves no file; --json summary adds up', async () => {
    await ready;
    const before = fs.readdirSync(c.dir).sort();
    const dry = await runCommand(Plan, ['--cluster', path, '--names', names]);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^dry run: nothing written/m);
    expect(dry.out).toMatch(/^ {2}corrupt: 1$/m);
    expect(fs.readdirSync(c.dir).sort()).toEqual(before);

    const refused = await runCommand(Plan, ['--cluster', path, '--names', names, '-o', join(c.dir, 'r.plan'), '--high-water', '0.001%']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/^REFUSED: .* would pass --high-water 0\.0 %; no plan written$/m);
    expect(fs.readdirSync(c.dir).sort()).toEqual(before);
    // The old spelling still works, with a deprecation warning.
    const old = await runCommand(Plan, ['--cluster', path, '--names', names, '-o', join(c.dir, 'r.plan'), '--max-fill', '0.001%']);
    expect(old.code).toBe(1);
    expect(old.out).toMatch(/^REFUSED: .* would pass --high-water 0\.0 %; no plan written$/m);
    expect(old.err).toMatch(/max-fill.*deprecated/);
    expect(fs.readdirSync(c.dir).sort()).toEqual(before);

    const json = await runCommand(Plan, ['--cluster', path, '--names', names, '--json', '--throughput', '1MB/s']);
    const s = JSON.parse(json.out) as {
      actions: { copy: number; fill: number; delete: number };
      pairs: { copies: number; fills: number; bytes: number }[];
      bytes: number;
      seconds: number;
      written: boolean;
      skipped: { files: number };
    };
    expect(s.written).toBe(false);
    expect(s.pairs.reduce((n, p) => n + p.copies, 0)).toBe(s.actions.copy);
    expect(s.pairs.reduce((n, p) => n + p.fills, 0)).toBe(s.actions.fill);
    expect(s.pairs.reduce((n, p) => n + p.bytes, 0)).toBe(s.bytes);
    expect(s.seconds).toBe(Math.ceil(s.bytes / 1e6));
    expect(s.skipped.files).toBe(1);

    const badRate = await runCommand(Plan, ['--cluster', path, '--throughput', 'fast']);
    expect(badRate.code).toBe(2);
    expect(badRate.err).toMatch(/--throughput "fast" is not a rate/);
    // Units are required: a bare number is refused, with one line naming the flag.
    const bare = await runCommand(Plan, ['--cluster', path, '--throughput', '20000000']);
    expect(bare.code).toBe(2);
    expect(bare.err).toBe(
      'ringshift: error: --throughput "20000000" is not a rate (expected bytes per second with a unit: 500K, 20M, 1G, 20MB/s)\n',
    );
    const barePct = await runCommand(Plan, ['--cluster', path, '--high-water', '90']);
    expect(barePct.code).toBe(2);
    expect(barePct.err).toBe('ringshift: error: --high-water "90" is not a percentage (expected a percentage with its sign, like 90%)\n');
  });
});
