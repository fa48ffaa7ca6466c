// ringshift apply on small clusters of real whisper files: plan + apply end to end (3 → 4 nodes, RF 2,
// replicas with different gaps), resume and no-op re-runs, --only-dest jobs coordinated by their
// journals, destinations that appear meanwhile, sources that change after their copy, corrupt sources,
// refusals (changed ring, truncated plan, foreign journal, a second job on the same destination), dry
// runs, the journal format, and a full disk.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Apply from '../commands/apply.js';
import { applyPlan } from '../src/apply/executor.js';
import { journalDir, readJournal, type JournalRecord } from '../src/apply/journal.js';
import { fitLine, LineProgress } from '../src/apply/apply-progress.js';
import { parseByteRate } from '../src/units.js';
import { ConfigError, UsageError } from '../src/errors.js';
import { ringFingerprint, type PlanAction, type PlanHeader, type PlanRecord } from '../src/plan/plan-file.js';
import { runPlan } from '../src/plan/run-plan.js';
import { metricToPath } from '../src/storage/paths.js';
import { updateMany } from '../src/whisper/update.js';
import { plantAt } from '../src/example/seed.js';
import { clusterFactory, NOW, owners, readPlan, runCommand, TestCluster } from './audit-cluster.js';
import { expectGapOnlyUnion, fileSlots, snapshotMetrics, type Snapshot } from './helpers/apply-check.js';
import { ALL, NODES3, NODES4, STORE3, STORE4 } from './helpers/three-to-four.js';

process.env.RINGSHIFT_NOW = String(NOW);

const cluster = clusterFactory();

const slots = fileSlots;
type Snap = Snapshot;
function snapshot(c: TestCluster, metrics: string[]): Snap {
  return snapshotMetrics(metrics, ALL, (n, m) => c.file(n, m));
}

/** Every file under a directory (relative paths), for leftovers and byte-level comparisons. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.set(r, fs.readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return out;
}

function temps(c: TestCluster): string[] {
  return [...tree(join(c.dir, 'nodes')).keys()].filter((p) => p.includes('.ringshift-'));
}

function expectSettled(c: TestCluster, newRing: ReturnType<TestCluster['ring']>, before: Snap): void {
  expectGapOnlyUnion(
    before,
    ALL,
    (m) => owners(newRing, m),
    (n, m) => c.file(n, m),
  );
}

async function plan(clusterPath: string, oldRing: string, out: string): Promise<void> {
  const r = await runPlan({ clusterPath, oldRing, keepSource: false, moveSuspected: false, maxFill: 1, throughput: 50e6, output: out });
  expect(r.written).toBe(out);
}

function journal(planPath: string, node: string): JournalRecord[] {
  return readJournal(join(journalDir(planPath), `${encodeURIComponent(node)}.ndjson`));
}

describe('apply: 3 → 4 nodes, replication 2, replicas with different gaps', () => {
  const c = cluster('apply-ring');
  let newPath = '';
  let planPath = '';
  let newRing: ReturnType<TestCluster['ring']>;
  let before: ReturnType<typeof snapshot>;
  const metrics = Array.from({ length: 40 }, (_, i) => `svc${i}.requests.rate`);

  beforeAll(async () => {
    const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
    newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
    const oldRing = c.ring('old.yaml');
    newRing = c.ring('new.yaml');
    c.root('n4');
    let onBoth = 0;
    for (const m of metrics) {
      const o = owners(oldRing, m);
      for (let r = 0; r < o.length; r++) await c.plant(o[r]!, m, r, 600);
      // Some metrics already have a (gappy) file on a new owner: carbon-cache wrote there after the switch.
      const fresh = owners(newRing, m).filter((n) => !o.includes(n));
      if (fresh.length > 0 && onBoth++ % 2 === 0) await c.plant(fresh[0]!, m, 2, 30);
    }
    before = snapshot(c, metrics);
    planPath = join(c.dir, 'shuffle.plan');
    await plan(newPath, oldPath, planPath);
  });

  it('puts every point on exactly the new owners, removes the sources, leaves no temp files', async () => {
    const acts = readPlan(planPath).filter((r): r is PlanAction => r.type === 'action');
    expect(acts.some((a) => a.op === 'copy')).toBe(true);
    expect(acts.some((a) => a.op === 'fill')).toBe(true);
    expect(acts.some((a) => a.op === 'delete')).toBe(true);
    const report = await applyPlan({ plan: planPath });
    expect(report.failed).toEqual([]);
    expect(report.counts).toEqual({ skipped: 0, failed: 0, waiting: 0, blocked: 0, notRun: 0 });
    expect(report.exitCode()).toBe(0);
    expect(report.done.copied + report.done.filled + report.done.deleted).toBe(acts.length);
    expectSettled(c, newRing, before);
    expect(temps(c)).toEqual([]);
  });

  it('a second run is a no-op: nothing read or written, every action done earlier', async () => {
    const bytes = tree(join(c.dir, 'nodes'));
    const report = await applyPlan({ plan: planPath });
    expect(report.exitCode()).toBe(0);
    expect(report.done).toMatchObject({ copied: 0, filled: 0, deleted: 0, bytes: 0 });
    expect(report.done.earlier).toBe(report.selected.copy + report.selected.fill + report.selected.delete);
    const after = tree(join(c.dir, 'nodes'));
    expect([...after.keys()]).toEqual([...bytes.keys()]);
    for (const [k, v] of bytes) expect(after.get(k)!.equals(v), k).toBe(true);
  });

  it('journals every step: open, done (with the source stamp and a checksum), deleted, close', () => {
    const files = fs.readdirSync(journalDir(planPath)).sort();
    expect(files.length).toBeGreaterThan(1);
    const recs = files.flatMap((f) => readJournal(join(journalDir(planPath), f)));
    expect(recs.filter((r) => r.t === 'open').length).toBe(files.length * 2);
    const copies = recs.filter((r): r is Extract<JournalRecord, { t: 'done' }> => r.t === 'done' && r.result === 'copied');
    expect(copies.length).toBeGreaterThan(0);
    for (const r of copies) {
      expect(r.verified).toBe('read back and compared');
      expect(r.src.size).toBe(r.bytes);
      expect(fs.statSync(join(c.dir, 'nodes', r.to, r.path)).size).toBe(r.bytes);
    }
    const fills = recs.filter((r): r is Extract<JournalRecord, { t: 'done' }> => r.t === 'done' && r.result === 'filled');
    expect(fills.length).toBeGreaterThan(0);
    for (const r of fills) expect(r.slots).toBeGreaterThanOrEqual(0);
    expect(recs.filter((r) => r.t === 'deleted').length).toBeGreaterThan(0);
    expect(recs.filter((r) => r.t === 'close').length).toBe(files.length * 2);
    // Every record is one JSON line; the file ends with a newline (nothing torn).
    for (const f of files) expect(fs.readFileSync(join(journalDir(planPath), f), 'utf8').endsWith('\n')).toBe(true);
  });

  it('the command prints the report and exits 0', async () => {
    const r = await runCommand(Apply, [planPath]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ok: everything selected is done');
    const j = await runCommand(Apply, [planPath, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ ok: true, exitCode: 0, counts: { failed: 0 } });
  });
});

describe('apply: one job per destination (--only-dest)', () => {
  const c = cluster('apply-only');
  let planPath = '';
  let newRing: ReturnType<TestCluster['ring']>;
  let before: ReturnType<typeof snapshot>;
  const metrics = Array.from({ length: 24 }, (_, i) => `web${i}.latency.p99`);

  beforeAll(async () => {
    const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
    const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
    const oldRing = c.ring('old.yaml');
    newRing = c.ring('new.yaml');
    c.root('n4');
    for (const m of metrics) for (const [r, n] of owners(oldRing, m).entries()) await c.plant(n, m, r, 600);
    before = snapshot(c, metrics);
    planPath = join(c.dir, 'p.plan');
    await plan(newPath, oldPath, planPath);
  });

  it('deletes wait (exit 3) until the destinations their data goes to have run; then all settle', async () => {
    const acts = readPlan(planPath).filter((r): r is PlanAction => r.type === 'action');
    // A source node whose deletes depend on copies into n4.
    const del = acts.find(
      (a) => a.op === 'delete' && a.after.some((id) => acts.find((x) => x.id === id && x.op !== 'delete' && x.to === 'n4')),
    );
    expect(del).toBeDefined();
    const at = (del as Extract<PlanAction, { op: 'delete' }>).at;
    const first = await applyPlan({ plan: planPath, onlyDest: at });
    expect(first.counts.waiting).toBeGreaterThan(0);
    expect(first.counts.failed + first.counts.blocked + first.counts.skipped).toBe(0);
    expect(first.exitCode()).toBe(3);
    expect(fs.existsSync(c.file(at, del!.metric))).toBe(true);
    // One job per node; the nodes that ran before n4 still wait for its copies; a second round finishes.
    const round1 = [];
    for (const n of ALL) round1.push((await applyPlan({ plan: planPath, onlyDest: n })).exitCode());
    expect(round1.every((x) => x === 0 || x === 3)).toBe(true);
    expect(round1.at(-1)).toBe(0); // n4 only receives copies
    for (const n of ALL) expect((await applyPlan({ plan: planPath, onlyDest: n })).exitCode(), n).toBe(0);
    const all = await applyPlan({ plan: planPath });
    expect(all.exitCode()).toBe(0);
    expect(all.done.copied + all.done.filled + all.done.deleted).toBe(0);
    expectSettled(c, newRing, before);
    expect(temps(c)).toEqual([]);
  });

  it('--only-dest accepts a member id; an unknown one is a usage error listing the choices', async () => {
    const r = await applyPlan({ plan: planPath, onlyDest: 'n2:2004:a', dryRun: true });
    expect(r.onlyDest).toBe('n2');
    await expect(applyPlan({ plan: planPath, onlyDest: 'n9' })).rejects.toMatchObject({
      message: expect.stringMatching(/matches no location/),
      expected: 'one of: n1, n2, n3, n4',
    });
  });
});

// ---- hand-written plans for the edge cases ----

interface Hand {
  c: TestCluster;
  clusterPath: string;
  header: PlanHeader;
}

function handCluster(prefix: string): Hand {
  const c = cluster(prefix);
  const clusterPath = c.writeCluster('cluster.yaml', { destinations: NODES3 }, STORE3);
  for (const n of ['n1', 'n2', 'n3']) c.root(n);
  const header: PlanHeader = {
    type: 'header',
    format: 'ringshift-plan',
    version: 1,
    created: new Date(NOW * 1000).toISOString(),
    ringFingerprint: ringFingerprint(c.ring('cluster.yaml').spec),
    ring: c.ring('cluster.yaml').spec,
    cluster: clusterPath,
    locations: ['n1', 'n2', 'n3'].map((n) => ({ id: n, url: join(c.dir, 'nodes', n), members: [`${n}:2004:a`] })),
    options: { keepSource: false, moveSuspected: false },
  };
  return { c, clusterPath, header };
}

function writePlan(h: Hand, name: string, actions: PlanAction[], opts: { footer?: boolean } = {}): string {
  const recs: PlanRecord[] = [h.header, ...actions];
  if (opts.footer !== false) recs.push({ type: 'footer', actions: actions.length, skips: 0, bytes: 0 });
  const p = join(h.c.dir, name);
  fs.writeFileSync(p, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return p;
}

function stamp(file: string): { size: number; mtimeMs: number } {
  const st = fs.statSync(file);
  return { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
}

function move(h: Hand, metric: string, from: string, to: string, id0: number): PlanAction[] {
  const path = metricToPath(metric);
  const src = stamp(h.c.file(from, metric));
  return [
    { type: 'action', id: id0, op: 'copy', metric, path, from, to, source: src },
    { type: 'action', id: id0 + 1, op: 'delete', metric, path, at: from, source: src, after: [id0] },
  ];
}

describe('apply: edge cases on hand-written plans', () => {
  it('a destination that appeared since the plan (carbon-cache created it) is filled, not replaced', async () => {
    const h = handCluster('apply-appeared');
    const m = 'app.appeared.count';
    await h.c.plant('n1', m, 0);
    const p = writePlan(h, 'a.plan', move(h, m, 'n1', 'n2', 1));
    await h.c.plant('n2', m, 1, 20); // written after the plan: a few recent points only
    const mine = slots(h.c.file('n2', m));
    const src = slots(h.c.file('n1', m));
    const r = await applyPlan({ plan: p });
    expect(r.exitCode()).toBe(0);
    expect(r.done).toMatchObject({ copied: 0, filled: 1, copiedAsFill: 1, deleted: 1 });
    const got = slots(h.c.file('n2', m));
    for (const [k, v] of mine) expect(got.get(k)).toBe(v);
    for (const k of src.keys()) expect(got.has(k)).toBe(true);
    expect(fs.existsSync(h.c.file('n1', m))).toBe(false);
  });

  it('a source written after its copy is filled into the owner again before it is deleted', async () => {
    const h = handCluster('apply-changed');
    const m = 'app.changed.count';
    const f = await h.c.plant('n1', m, 0);
    const p = writePlan(h, 'c.plan', move(h, m, 'n1', 'n3', 1));
    // Copy only (n3's job), then carbon-cache writes new points to the source.
    const first = await applyPlan({ plan: p, onlyDest: 'n3' });
    expect(first.done.copied).toBe(1);
    // A point in a slot the copy lacks (older than the planted data, inside the 12 h archive).
    const t = NOW - (NOW % 60) - 300 * 60;
    expect(slots(h.c.file('n3', m)).has(`0:${t}`)).toBe(false);
    await updateMany(f, [[t, 4242.5]], { now: NOW, lock: false });
    fs.utimesSync(f, NOW + 60, NOW + 60);
    const second = await applyPlan({ plan: p });
    expect(second.exitCode()).toBe(0);
    expect(second.done.deleted).toBe(1);
    expect(slots(h.c.file('n3', m)).get(`0:${t}`)).toBe(4242.5);
    const recs = journal(p, 'n1');
    expect(recs.filter((r) => r.t === 'refill')).toMatchObject([
      { id: 2, to: 'n3', path: metricToPath(m), src: { mtimeMs: (NOW + 60) * 1000 } },
    ]);
  });

  it('a source whose data slots turned to garbage after planning is skipped, not copied, never deleted (size and header unchanged)', async () => {
    const h = handCluster('apply-garbage');
    const m = 'app.garbage.count';
    const f = await h.c.plant('n1', m, 0);
    const acts = move(h, m, 'n1', 'n2', 1);
    const p = writePlan(h, 'g.plan', acts);
    // After planning: the data area gets garbage; the size, the header and even the mtime stay.
    const st = fs.statSync(f);
    const img = fs.readFileSync(f);
    const headerLen = 16 + 12 * img.readUInt32BE(12);
    for (let i = headerLen + 240; i < headerLen + 480; i++) img[i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(f, img);
    fs.utimesSync(f, st.atime, st.mtime);
    const r = await applyPlan({ plan: p });
    expect(r.exitCode()).toBe(1);
    expect(r.skipped[0]).toMatchObject({ id: 1, code: 'SourceCorrupt' });
    expect(fs.existsSync(f)).toBe(true);
    expect(fs.existsSync(h.c.file('n2', m))).toBe(false);
    expect(fs.readFileSync(f).equals(img)).toBe(true);
  });

  it('a corrupt source is skipped and reported, never deleted; its delete is blocked; exit 1', async () => {
    const h = handCluster('apply-corrupt');
    const m = 'app.corrupt.count';
    const f = await h.c.plant('n1', m, 0);
    const acts = move(h, m, 'n1', 'n2', 1);
    fs.truncateSync(f, fs.statSync(f).size - 12);
    const p = writePlan(h, 'x.plan', acts);
    const r = await applyPlan({ plan: p });
    expect(r.exitCode()).toBe(1);
    expect(r.counts).toMatchObject({ skipped: 1, blocked: 1, failed: 0 });
    expect(r.skipped[0]).toMatchObject({ id: 1, code: 'SourceCorrupt' });
    expect(r.skipped[0]!.reason).toMatch(/not a sound whisper file.*truncated/);
    expect(fs.existsSync(f)).toBe(true);
    expect(fs.existsSync(h.c.file('n2', m))).toBe(false);
    expect(temps(h.c)).toEqual([]);
    const text = r.text().join('\n');
    expect(text).toMatch(/skipped: 1 — the sources are kept, never deleted/);
  });

  it('refuses a plan whose ring changed, a truncated plan, a foreign journal and a second job on one destination', async () => {
    const h = handCluster('apply-refuse');
    const m = 'app.refuse.count';
    await h.c.plant('n1', m, 0);
    const acts = move(h, m, 'n1', 'n2', 1);

    const changed = writePlan(h, 'ring.plan', acts);
    const other = handCluster('apply-refuse-ring');
    h.c.writeCluster('cluster2.yaml', { destinations: [...NODES3, 'n9:2004:a'] }, STORE3);
    await expect(applyPlan({ plan: changed, cluster: join(h.c.dir, 'cluster2.yaml') })).rejects.toBeInstanceOf(ConfigError);
    await expect(applyPlan({ plan: changed, cluster: join(h.c.dir, 'cluster2.yaml') })).rejects.toThrow(
      /the ring changed since the plan was made/,
    );
    void other;

    const truncated = writePlan(h, 'cut.plan', acts, { footer: false });
    await expect(applyPlan({ plan: truncated })).rejects.toThrow(/no footer: it is truncated/);

    // A journal of this plan, then the plan is regenerated with different content at the same path.
    const p = writePlan(h, 'same.plan', acts);
    await applyPlan({ plan: p, onlyDest: 'n2' });
    writePlan(h, 'same.plan', [{ ...acts[0]!, metric: 'x.y' } as PlanAction, acts[1]!]);
    await expect(applyPlan({ plan: p })).rejects.toThrow(/journal belongs to another plan/);

    // A second job on the same destination while one runs: the journal lock refuses it.
    const q = writePlan(h, 'lock.plan', acts);
    const { Journal } = await import('../src/apply/journal.js');
    const { scanPlan } = await import('../src/apply/plan-reader.js');
    const sha = (await scanPlan(q, () => undefined)).sha256;
    const held = await Journal.open(journalDir(q), 'n2', sha);
    try {
      await expect(applyPlan({ plan: q })).rejects.toThrow(/another ringshift apply is working on n2/);
    } finally {
      await held.close({});
    }
    expect((await applyPlan({ plan: q })).exitCode()).toBe(0);
  });

  it('a dry run lists what would run and writes nothing (no journal)', async () => {
    const h = handCluster('apply-dry');
    const m = 'app.dry.count';
    await h.c.plant('n1', m, 0);
    const p = writePlan(h, 'd.plan', move(h, m, 'n1', 'n3', 5));
    const before = tree(join(h.c.dir, 'nodes'));
    const r = await runCommand(Apply, [p, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('would run: 2 actions');
    expect(r.out).toMatch(/#5 copy app\.dry\.count n1 → n3/);
    expect(r.out).toMatch(/#6 delete app\.dry\.count n1: after #5/);
    expect(fs.existsSync(journalDir(p))).toBe(false);
    expect(tree(join(h.c.dir, 'nodes')).size).toBe(before.size);
  });

  it('a fill after a copy into the same destination runs once the copy is verified (toPath, same location)', async () => {
    const h = handCluster('apply-topath');
    const a = 'api.get(users).p99';
    const b = 'api.get_users_.p99';
    await h.c.plant('n1', a, 0);
    await h.c.plant('n1', b, 1);
    const pa = metricToPath(a);
    const pb = metricToPath(b);
    const sa = stamp(h.c.file('n1', a));
    const sb = stamp(h.c.file('n1', b));
    const before = [slots(h.c.file('n1', a)), slots(h.c.file('n1', b))];
    // Move both into b's path on n2 (copy b, fill from a after it), merge a into b on n1 too.
    const acts: PlanAction[] = [
      { type: 'action', id: 1, op: 'copy', metric: b, path: pb, from: 'n1', to: 'n2', source: sb },
      { type: 'action', id: 2, op: 'fill', metric: b, path: pa, from: 'n1', to: 'n2', toPath: pb, source: sa, dest: sb, after: [1] },
      { type: 'action', id: 3, op: 'fill', metric: b, path: pa, from: 'n1', to: 'n1', toPath: pb, source: sa, dest: sb },
      { type: 'action', id: 4, op: 'delete', metric: a, path: pa, at: 'n1', source: sa, after: [1, 2, 3] },
    ];
    const p = writePlan(h, 't.plan', acts);
    const r = await applyPlan({ plan: p });
    expect(r.exitCode()).toBe(0);
    expect(fs.existsSync(h.c.file('n1', a))).toBe(false);
    for (const n of ['n1', 'n2']) {
      const got = slots(h.c.file(n, b));
      for (const s of before) for (const k of s.keys()) expect(got.has(k), `${n} ${k}`).toBe(true);
    }
  });

  it('plain progress lines when stderr is not a terminal', () => {
    const lines: string[] = [];
    const p = new LineProgress((l) => lines.push(l), 1e9);
    p.start([
      { id: 'n1', actions: 2, bytes: 2048 },
      { id: 'n2', actions: 1, bytes: 0 },
    ]);
    p.read('n1', 1024);
    p.written('n1', 512);
    p.action('n1', 'done');
    p.action('n2', 'failed');
    p.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ringshift apply: 2\/3 actions \(1 failed\), read 1\.00 KiB\/2\.00 KiB, .*\/s ETA .* \[n1 1\/2, n2 1\/1\]$/);
  });

  it('progress of a --node job says how many deletes wait for other nodes, and never "done" for them', () => {
    const lines: string[] = [];
    const p = new LineProgress((l) => lines.push(l), 1e9);
    p.start([{ id: 'n2', actions: 3, bytes: 0 }]);
    p.action('n2', 'done');
    p.action('n2', 'waiting');
    p.action('n2', 'waiting');
    p.stop();
    expect(lines[0]).toMatch(/3\/3 actions \(2 wait for other nodes\)/);
    expect(lines[0]).toMatch(/ETA waits$/);
  });

  it('a progress line fits 80 columns with its rate and ETA whole', () => {
    const parts = {
      acts: '123456/234567',
      notes: ' (12 failed, 108 wait for other nodes)',
      bytes: 'read 158.00 MiB/649.00 MiB',
      bytesShort: '158.00 MiB',
      tail: '4.00 MiB/s ETA 1h 2m 5s',
    };
    for (const width of [80, 60, 120]) {
      const line = fitLine('graphite-node-12', 0.43, parts, width);
      expect(line.length, line).toBeLessThan(width);
      expect(line).toContain('4.00 MiB/s ETA 1h 2m 5s');
      expect(line).toContain('43% 123456/234567');
    }
    expect(fitLine('graphite-4', 0.43, { ...parts, acts: '1186/1294' }, 80)).toMatch(/108 wait/);
    expect(fitLine('n1', 0.5, { ...parts, notes: '' }, 120)).toMatch(/^n1 \[=+ +\] +50% /);
  });

  it('reads --bwlimit rates with a unit, and refuses a bare number', () => {
    expect(parseByteRate('500K', '--bwlimit')).toBe(500 * 1024);
    expect(parseByteRate('20M', '--bwlimit')).toBe(20 * 1024 ** 2);
    expect(parseByteRate('20MiB/s', '--bwlimit')).toBe(20 * 1024 ** 2);
    expect(parseByteRate('20MB', '--bwlimit')).toBe(20e6);
    expect(() => parseByteRate('100', '--bwlimit')).toThrow(UsageError);
    expect(() => parseByteRate('fast', '--bwlimit')).toThrow(UsageError);
  });

  it('a bandwidth cap still gets everything done', async () => {
    const h = handCluster('apply-bw');
    const acts: PlanAction[] = [];
    for (let i = 0; i < 3; i++) {
      const m = `bw.m${i}.count`;
      await h.c.plant('n1', m, 0);
      acts.push(...move(h, m, 'n1', 'n2', 1 + 2 * i));
    }
    const p = writePlan(h, 'bw.plan', acts);
    const r = await applyPlan({ plan: p, bwlimit: parseByteRate('4M', '--bwlimit'), concurrency: 2 });
    expect(r.exitCode()).toBe(0);
    expect(r.done.copied).toBe(3);
  });
});

describe('apply: a full destination disk', () => {
  // A real small filesystem when we may mount one (root), else the ssh tests inject the failure.
  const canMount = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v mount'], { encoding: 'utf8' }).status === 0;
  let mounted = '';
  afterAll(() => {
    if (mounted !== '') spawnSync('umount', [mounted]);
  });

  it.runIf(canMount)(
    'stops cleanly on ENOSPC: no partial file, no temp file, sources intact, exit 1; resumes once there is room',
    async (ctx) => {
      const h = handCluster('apply-enospc');
      const n2 = join(h.c.dir, 'nodes', 'n2');
      const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1200k', 'tmpfs', n2], { encoding: 'utf8' });
      if (mnt.status !== 0) ctx.skip();
      mounted = n2;
      const acts: PlanAction[] = [];
      const files: string[] = [];
      for (let i = 0; i < 6; i++) {
        const m = `disk.m${i}.count`;
        files.push(await plantAt(h.c.file('n1', m), { now: NOW, points: [[NOW - 60, i]], retentions: [[60, 22000]] }));
        acts.push(...move(h, m, 'n1', 'n2', 1 + 2 * i));
      }
      const srcBytes = files.map((f) => fs.readFileSync(f));
      // Each file is ~260 KiB: about four fit.
      const p = writePlan(h, 'full.plan', acts);
      const r = await applyPlan({ plan: p, concurrency: 1 });
      expect(r.exitCode()).toBe(1);
      expect(r.stopped).toMatch(/ENOSPC|no space/i);
      expect(r.done.deleted).toBe(0);
      files.forEach((f, i) => expect(fs.readFileSync(f).equals(srcBytes[i]!)).toBe(true));
      expect(temps(h.c)).toEqual([]);
      for (const [rel, data] of tree(n2)) {
        const i = files.findIndex((f) => f.endsWith(rel));
        expect(data.equals(srcBytes[i]!), rel).toBe(true); // only complete copies are there
      }
      // Make room (a bigger filesystem) and run again: it finishes.
      execFileSync('mount', ['-o', 'remount,size=4m', n2]);
      const again = await applyPlan({ plan: p });
      expect(again.exitCode()).toBe(0);
      for (const f of files) expect(fs.existsSync(f)).toBe(false);
    },
  );
});
