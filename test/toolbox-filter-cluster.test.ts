// The metric filter on scan, audit and plan (issue 12 part 2, bucky #17: try a shuffle on a subset first):
// a 3 → 4 ring change half done; with --match only the subset is listed, audited and planned, and
// applying that plan settles the subset while every other file stays exactly as it was.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Audit from '../commands/audit.js';
import Plan from '../commands/plan.js';
import Scan from '../commands/scan.js';
import { applyPlan } from '../src/apply/executor.js';
import { runAudit } from '../src/audit/run-audit.js';
import { MetricFilter } from '../src/storage/metric-filter.js';
import { metricToPath } from '../src/storage/paths.js';
import { clusterFactory, NOW, owners, readPlan, runCommand } from './audit-cluster.js';
import { NODES3, NODES4 } from './helpers/three-to-four.js';

process.env.RINGSHIFT_NOW = String(NOW);

const ALL = { n1: 'n1', n2: 'n2', n3: 'n3', n4: 'n4' };
const newCluster = clusterFactory();

const SUBSET = Array.from({ length: 16 }, (_, i) => `db.host${i}.qps`);
const OTHERS = Array.from({ length: 16 }, (_, i) => `web.host${i}.qps`);

/** Every file under the nodes, with its bytes (sha-like: the whole content). */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p.slice(root.length + 1), fs.readFileSync(p).toString('base64'));
    }
  };
  walk(root);
  return out;
}

describe('--match / --regex / --metrics on scan, audit and plan', () => {
  it('scan, audit and plan see only the subset; applying the plan settles it and leaves the rest alone', async () => {
    const c = newCluster('filter');
    const oldFile = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, { n1: 'n1', n2: 'n2', n3: 'n3' });
    const newFile = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, ALL);
    const oldRing = c.ring('old.yaml');
    const newRing = c.ring('new.yaml');
    await c.plantRingChange(oldRing, newRing, [...SUBSET, ...OTHERS]);
    c.root('n4');

    // scan: only db.*
    const s = await runCommand(Scan, ['--cluster', newFile, '--match', 'db.*.qps']);
    expect(s.code, s.err).toBe(0);
    const listed = s.out.trim().split('\n');
    expect(listed.length).toBeGreaterThan(SUBSET.length);
    expect(listed.every((l) => l.startsWith('db.'))).toBe(true);
    const all = await runCommand(Scan, ['--cluster', newFile]);
    expect(
      all.out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('db.'))
        .sort(),
    ).toEqual([...listed].sort());
    // --regex and --metrics narrow each other.
    const names = join(c.dir, 'names.txt');
    fs.writeFileSync(names, 'db.host1.qps\ndb.host2.qps\nweb.host1.qps\n');
    const s2 = await runCommand(Scan, ['--cluster', newFile, '--regex', '^db\\.', '--metrics', names]);
    expect(
      [
        ...new Set(
          s2.out
            .trim()
            .split('\n')
            .map((l) => l.split('\t')[0]),
        ),
      ].sort(),
    ).toEqual(['db.host1.qps', 'db.host2.qps']);

    // audit: findings only for the subset; the counts add up to the unfiltered audit's share.
    const filter = MetricFilter.of(['db.**']);
    const findings: string[] = [];
    const r = await runAudit({ clusterPath: newFile, oldRing: oldFile, filter }, (f) => {
      findings.push(f.metric ?? f.path);
    });
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((m) => m.startsWith('db.'))).toBe(true);
    const everything: string[] = [];
    await runAudit({ clusterPath: newFile, oldRing: oldFile }, (f) => {
      everything.push(f.metric ?? f.path);
    });
    expect(everything.filter((m) => m.startsWith('db.')).sort()).toEqual([...findings].sort());
    expect((r.summary.locations as { files: number }[]).reduce((a, l) => a + l.files, 0)).toBe(
      [...tree(join(c.dir, 'nodes')).keys()].filter((p) => p.split('/')[1] === 'db').length,
    );
    const a = await runCommand(Audit, ['--cluster', newFile, '--old-ring', oldFile, '--match', 'db.**', '--json', '--all']);
    expect(a.code).toBeLessThanOrEqual(1);
    const rows = a.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x.metric !== undefined);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => String(x.metric).startsWith('db.'))).toBe(true);

    // plan: actions only for db.*; apply it; the subset is settled, the others untouched byte for byte.
    const planFile = join(c.dir, 'db.plan');
    const p = await runCommand(Plan, ['--cluster', newFile, '--old-ring', oldFile, '--match', 'db.**', '-o', planFile]);
    expect(p.code, p.err).toBe(0);
    const actions = readPlan(planFile).filter((x) => x.type === 'action') as unknown as { metric: string; op: string }[];
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((x) => x.metric.startsWith('db.'))).toBe(true);
    const before = tree(join(c.dir, 'nodes'));
    const report = await applyPlan({ plan: planFile });
    expect(report.counts).toMatchObject({ failed: 0, skipped: 0, waiting: 0, blocked: 0 });
    const after = tree(join(c.dir, 'nodes'));
    for (const [k, v] of before) if (k.split('/')[1] === 'web') expect(after.get(k), k).toBe(v);
    for (const k of after.keys()) if (k.split('/')[1] === 'web') expect(before.has(k), k).toBe(true);
    for (const m of SUBSET) {
      const want = owners(newRing, m).sort();
      const have = Object.keys(ALL)
        .filter((n) => fs.existsSync(join(c.root(n), metricToPath(m))))
        .sort();
      expect(have, m).toEqual(want);
    }
    // apply removed the directories its deletes emptied (db/hostN/ held one file), never a root.
    expect(actions.some((x) => x.op === 'delete')).toBe(true);
    const empty: string[] = [];
    const walk = (d: string) => {
      const list = fs.readdirSync(d, { withFileTypes: true });
      if (list.length === 0) empty.push(d);
      for (const e of list) if (e.isDirectory()) walk(join(d, e.name));
    };
    for (const n of Object.keys(ALL)) {
      walk(c.root(n));
      expect(fs.statSync(c.root(n)).isDirectory()).toBe(true);
    }
    expect(empty).toEqual([]);
  });
});
