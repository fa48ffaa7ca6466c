// kill -9 during apply, at many points, then resume: the same end state as an uninterrupted run,
// nothing lost, no stray temp files. The built CLI (`npm run build`) runs in a child process that
// SIGKILLs itself at a named point (RINGSHIFT_TEST_CRASH_AT, a documented test hook) or is killed
// by the test after a delay; a torn last journal line is also simulated.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalDir, parseJournal } from '../src/apply/journal.js';
import { examplePoints, plantMetric } from '../src/example/seed.js';
import { runPlan } from '../src/plan/run-plan.js';
import { NOW, owners, TestCluster } from './audit-cluster.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { expectGapOnlyUnion, snapshotMetrics, type Snapshot } from './helpers/apply-check.js';
import { ALL, NODES3, NODES4, STORE3, STORE4 } from './helpers/three-to-four.js';

const RUN = join(PROJECT_ROOT, 'bin/run.js');
const METRICS = Array.from({ length: 30 }, (_, i) => `crash${i}.cpu.user`);
/** Big enough (≈250 KiB) that a copy streams in several chunks. */
const RETENTIONS: [number, number][] = [
  [60, 20000],
  [3600, 720],
];

let template: TestCluster;
const made: TestCluster[] = [];
afterAll(() => [template, ...made].forEach((c) => c?.remove()));

function leftovers(c: TestCluster): string[] {
  return c.temps();
}

/** A fresh copy of the template cluster with its own plan. */
async function fresh(tag: string): Promise<{ c: TestCluster; plan: string }> {
  const c = new TestCluster(`crash-${tag}`);
  made.push(c);
  fs.cpSync(template.dir, c.dir, { recursive: true, preserveTimestamps: true });
  const plan = join(c.dir, 'p.plan');
  const r = await runPlan({
    clusterPath: join(c.dir, 'new.yaml'),
    oldRing: join(c.dir, 'old.yaml'),
    keepSource: false,
    moveSuspected: false,
    maxFill: 1,
    throughput: 50e6,
    output: plan,
  });
  expect(r.written).toBe(plan);
  return { c, plan };
}

function apply(
  plan: string,
  crashAt?: string,
  extra: string[] = [],
): { status: number | null; signal: string | null; out: string; err: string } {
  const env = { ...process.env, RINGSHIFT_NOW: String(NOW), RINGSHIFT_TEST_CRASH_AT: crashAt ?? '' };
  const r = spawnSync(process.execPath, [RUN, 'apply', plan, '--concurrency', '3', ...extra], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

let before: Snapshot;
let check: (c: TestCluster) => void;

beforeAll(async () => {
  template = new TestCluster('crash-template');
  template.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
  template.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
  const oldRing = template.ring('old.yaml');
  const newRing = template.ring('new.yaml');
  template.root('n4');
  let k = 0;
  for (const m of METRICS) {
    const o = owners(oldRing, m);
    const plant = (n: string, replica: number, minutes: number) =>
      plantMetric(template.root(n), m, { now: NOW, points: examplePoints(m, NOW, replica, minutes), retentions: RETENTIONS });
    for (let r = 0; r < o.length; r++) await plant(o[r]!, r, 600);
    const gain = owners(newRing, m).filter((n) => !o.includes(n));
    if (gain.length > 0 && k++ % 2 === 0) await plant(gain[0]!, 2, 60);
  }
  before = snapshotMetrics(METRICS, ALL, (n, m) => template.file(n, m));
  check = (c) =>
    expectGapOnlyUnion(
      before,
      ALL,
      (m) => owners(newRing, m),
      (n, m) => c.file(n, m),
    );
  // An uninterrupted run gets there.
  const { c, plan } = await fresh('reference');
  const r = apply(plan);
  expect(r.status, r.err).toBe(0);
  check(c);
});

describe('kill -9, then resume', () => {
  // point:n — the n-th time execution reaches the point.
  const points = [
    'copy-started:2',
    'copy-started:5',
    'copy-synced:1',
    'copy-verified:2',
    'copy-placed:1',
    'copy-placed:3',
    'copy-done:2',
    'fill-done:1',
    'after-copies:1',
    'delete-checked:1',
    'delete-unlinked:1',
    'delete-unlinked:4',
  ];

  it.each(points)('%s', async (point) => {
    const { c, plan } = await fresh(point.replace(':', '-'));
    const crashed = apply(plan, point);
    expect(crashed.signal, `${point}: ${crashed.err}`).toBe('SIGKILL');
    // A second crash somewhere later during the resume, for good measure.
    const again = apply(plan, 'copy-done:1');
    expect(again.signal === 'SIGKILL' || again.status === 0, again.err).toBe(true);
    const done = apply(plan);
    expect(done.status, `${again.err}\n${done.err}\n${done.out}`).toBe(0);
    check(c);
    expect(leftovers(c)).toEqual([]);
    // A run after that changes nothing.
    const noop = apply(plan, undefined, ['--json']);
    expect(noop.status, noop.err).toBe(0);
    expect(JSON.parse(noop.out).done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
  });

  it('a journal record torn by the kill is dropped on resume', async () => {
    const { c, plan } = await fresh('torn');
    expect(apply(plan, 'copy-done:2').signal).toBe('SIGKILL');
    const dir = journalDir(plan);
    const file = join(dir, fs.readdirSync(dir)[0]!);
    fs.appendFileSync(file, '{"t":"done","id":99999,"op":"co');
    expect(apply(plan).status).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('"id":99999');
    expect(() => parseJournal(text, file)).not.toThrow();
    check(c);
  });

  it.each([40, 120, 250, 400])('killed by the clock after %i ms', async (ms) => {
    const { c, plan } = await fresh(`t${ms}`);
    const env = { ...process.env, RINGSHIFT_NOW: String(NOW), RINGSHIFT_TEST_CRASH_AT: '' };
    const child = spawn(process.execPath, [RUN, 'apply', plan, '--concurrency', '4'], { env, stdio: 'ignore' });
    // Listen first: a run that finishes before the kill has exited already (a later listener would wait forever).
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
    child.kill('SIGKILL');
    await exited;
    const done = apply(plan);
    expect(done.status, done.err).toBe(0);
    check(c);
    expect(leftovers(c)).toEqual([]);
  });
});
