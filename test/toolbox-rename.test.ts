// `ringshift rename --map` on a local 3-node RF 2 cluster of real whisper files: the map's syntax and
// its refusals (one line naming FILE:LINE), the dry run (nothing touched), the plan (copies and fills
// into the new name's path, deletes after them) and its apply: every slot any copy of an old name had
// is in the new name on each of its owners (its own points kept where it existed), the old files are
// gone from every location (owners and strays), nothing else changed.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/executor.js';
import { ConfigError } from '../src/errors.js';
import { metricToPath, pathToMetric } from '../src/storage/paths.js';
import { RenameMap } from '../src/toolbox/rename-map.js';
import { clusterFactory, NOW, owners, readPlan, type TestCluster } from './audit-cluster.js';
import { fileSlots } from './helpers/apply-check.js';
import { expectRenamed, snapshotNodes, type NodeSnapshot } from './helpers/rename-check.js';
import { runCommand } from './helpers/run-command.js';

const { default: Rename } = await import('../commands/rename.js');

const NODES = ['n1', 'n2', 'n3'];
const newCluster = clusterFactory();

function mapError(text: string): string {
  try {
    RenameMap.parse(text, 'm.txt');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).describe();
  }
  throw new Error('the map was accepted');
}

describe('the rename map', () => {
  it('reads literal and regex rules, comments and blank lines', () => {
    const m = RenameMap.parse(
      [
        '# renames',
        '',
        'a.b.c   x.y.z',
        '  re:^servers\\.(\\w+)\\.cpu$  hosts.$1.cpu   # hosts',
        're:(?<h>web\\d+)\\.mem mem.$<h>.$$x',
      ].join('\n'),
      'm.txt',
    );
    expect(m.rules.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(m.target('a.b.c')?.name).toBe('x.y.z');
    expect(m.target('servers.web1.cpu')?.name).toBe('hosts.web1.cpu');
    // The expression must match the whole name.
    expect(m.target('servers.web1.cpu.user')).toBeNull();
    expect(m.target('xservers.web1.cpu')).toBeNull();
    expect(m.target('web7.mem')?.name).toBe('mem.web7.$x');
    expect(m.target('a.b')).toBeNull();
  });

  it.each([
    ['a.b', 'm.txt:1: a rule without a new name (expected OLD NEW or re:REGEX REPLACEMENT)'],
    ['a.b c.d e.f', 'm.txt:1: 3 fields (expected OLD NEW or re:REGEX REPLACEMENT)'],
    ['# x\na.b a.b', 'm.txt:2: a.b is renamed to itself'],
    ['a.b c.d\na.b e.f', 'm.txt:2: a.b is already renamed at line 1'],
    ['a.b c.d\nc.d e.f', 'm.txt:1: c.d is renamed again by line 2 (a chain or a cycle)'],
    ['a.b c.d\nc.d a.b', 'm.txt:1: c.d is renamed again by line 2 (a chain or a cycle)'],
    ['re:^hosts\\..* y.$&', "m.txt:1: a '$' in the replacement that is not $1…$99, $<name> or $$"],
    ['re:^hosts\\..* y.$0', 'm.txt:1: the replacement uses $0, the expression has 0 groups'],
    ['a.b hosts.x\nre:^hosts\\.(.*) y.$1', 'm.txt:1: hosts.x is renamed again by line 2'],
    ['re:a(b c', 'm.txt:1: not a regular expression'],
    ['re:a(b)c x.$2', 'm.txt:1: the replacement uses $2, the expression has 1 group'],
    ['re:a(b)c x.$<n>', 'm.txt:1: the replacement uses $<n>, the expression has no group of that name'],
    ['a..b c.d', 'm.txt:1: old name "a..b": an empty path component'],
    ['a.b c;tag=1', 'm.txt:1: new name "c;tag=1": a tagged series'],
  ])('refuses %j with one line', (text, want) => {
    expect(mapError(text)).toContain(want);
  });

  it('refuses, when a name is met, a name two rules match, a bad result and a chain made by an expression', () => {
    const m = RenameMap.parse('re:a\\.(.*) b.$1\nre:(.*)\\.x c.$1\nre:q\\.(.*) $1\nre:r\\.(.*) a.$1', 'm.txt');
    const line = (name: string) => {
      try {
        m.target(name);
      } catch (err) {
        return (err as ConfigError).describe();
      }
      return 'accepted';
    };
    expect(line('a.x')).toMatch(/^m\.txt:2: a\.x is matched by line 1 and line 2/);
    expect(line('q.')).toMatch(/^m\.txt:3: q\. becomes "": an empty name/);
    expect(line('r.y')).toMatch(/^m\.txt:4: r\.y → a\.y is renamed again by line 1/);
    expect(m.target('a.y')?.name).toBe('b.y');
  });
});

// The renames of the cluster test, and what stays.
const MAP = [
  'old.web1.cpu new.web1.cpu',
  '# two old names merge into one',
  'old.web2.cpu new.merged.cpu',
  'old.web3.cpu new.merged.cpu',
  'exist.old exist.new   # the new name exists already',
  're:^srv\\.(\\w+)\\.mem$ hosts.$1.mem',
  'not.there gone.anywhere',
].join('\n');
const RENAMES: Record<string, string> = {
  'old.web1.cpu': 'new.web1.cpu',
  'old.web2.cpu': 'new.merged.cpu',
  'old.web3.cpu': 'new.merged.cpu',
  'exist.old': 'exist.new',
  'srv.a.mem': 'hosts.a.mem',
  'srv.b.mem': 'hosts.b.mem',
};
const KEPT = ['keep.me', 'srv.a.cpu', 'srv.a.mem.x'];

interface Setup {
  c: TestCluster;
  clusterFile: string;
  mapFile: string;
  /** node → metric → slots, of every file before. */
  before: NodeSnapshot;
}

function snapshot(c: TestCluster, metrics: readonly string[]): NodeSnapshot {
  return snapshotNodes(NODES, metrics, (n, m) => c.file(n, m));
}

const ALL_NAMES = [...new Set([...Object.keys(RENAMES), ...Object.values(RENAMES), ...KEPT])];

async function setup(prefix: string): Promise<Setup> {
  const c = newCluster(prefix);
  const clusterFile = c.writeCluster(
    'cluster.yaml',
    { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 },
    {
      n1: 'n1',
      n2: 'n2',
      n3: 'n3',
    },
  );
  const ring = c.ring('cluster.yaml');
  for (const m of [...Object.keys(RENAMES), ...KEPT]) {
    const o = owners(ring, m);
    for (let r = 0; r < o.length; r++) await c.plant(o[r]!, m, r, 300);
  }
  // A stray copy of an old name on the node that does not own it (a leftover of an older ring).
  const stray = NODES.find((n) => !owners(ring, 'old.web1.cpu').includes(n))!;
  await c.plant(stray, 'old.web1.cpu', 2, 500);
  // The new name already has points of its own (fewer, so the old ones fill its gaps).
  for (const n of owners(ring, 'exist.new')) await c.plant(n, 'exist.new', 3, 60);
  const mapFile = join(c.dir, 'renames.txt');
  fs.writeFileSync(mapFile, MAP + '\n');
  return { c, clusterFile, mapFile, before: snapshot(c, ALL_NAMES) };
}

/** The end state: every old copy merged into the new name on its owners, the olds gone, the rest untouched. */
function expectRenamedHere(s: Setup): void {
  const ring = s.c.ring('cluster.yaml');
  expectRenamed(
    s.before,
    RENAMES,
    KEPT,
    (m) => owners(ring, m),
    (n, m) => s.c.file(n, m),
  );
}

describe('rename on a local 3-node RF 2 cluster', () => {
  let s: Setup;
  beforeAll(async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    s = await setup('rename');
  });

  it('dry run: lists copies, fills and deletes, notes the merge and the missing name, touches nothing', async () => {
    const r = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', s.mapFile]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^copy old\.web1\.cpu on n\d \(old\/web1\/cpu\.wsp\) → new\.web1\.cpu on n\d \(new\/web1\/cpu\.wsp\)$/m);
    expect(r.out).toMatch(
      /^fill old\.web3\.cpu on n\d \(old\/web3\/cpu\.wsp\) → new\.merged\.cpu on n\d \(new\/merged\/cpu\.wsp\) after the copy$/m,
    );
    expect(r.out).toMatch(/^fill exist\.old on n\d \(exist\/old\.wsp\) → exist\.new on n\d \(exist\/new\.wsp\)$/m);
    expect(r.out).toMatch(/^delete srv\.b\.mem on n\d \(srv\/b\/mem\.wsp\)$/m);
    expect(r.out).toMatch(/^would rename 6 old names → 5 new names: .*; nothing written/m);
    expect(r.err).toContain('old.web2.cpu, old.web3.cpu all become new.merged.cpu: merged gap-only');
    expect(r.err).toContain('not.there is on no location');
    expect(snapshot(s.c, ALL_NAMES)).toEqual(s.before);
    expect(fs.readdirSync(s.c.dir).filter((f) => f.endsWith('.plan'))).toEqual([]);
  });

  it('a bad map is one line, exit 2, nothing written', async () => {
    const bad = join(s.c.dir, 'bad.txt');
    fs.writeFileSync(bad, 'a.b c.d\nc.d e.f\n');
    const r = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', bad, '-o', join(s.c.dir, 'bad.plan')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      `ringshift: error: ${bad}:1: c.d is renamed again by line 2 (a chain or a cycle) (expected each new name final: map every old name straight to its last name, or rename in two runs)`,
    ]);
    expect(fs.existsSync(join(s.c.dir, 'bad.plan'))).toBe(false);
  });

  it('-o writes a plan apply runs: olds merged gap-only into the new names on their owners, then deleted everywhere', async () => {
    const plan = join(s.c.dir, 'rename.plan');
    const r = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', s.mapFile, '-o', plan, '--json']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out.trim().split('\n').pop()!).summary as Record<string, number | string>;
    expect(summary).toMatchObject({ oldNames: 6, newNames: 5, skip: 0, written: plan, notFound: ['not.there'] });
    const recs = readPlan(plan);
    expect(recs[0]).toMatchObject({ type: 'header', version: 1, options: { rename: s.mapFile } });
    const actions = recs.filter((x) => x.type === 'action');
    // The stray copy is renamed too: each old file is deleted once, on every node that has it.
    const deletes = actions.filter((a) => a.op === 'delete').map((a) => `${a.at} ${a.path}`);
    const want = NODES.flatMap((n) => [...s.before.get(n)!.keys()].filter((m) => m in RENAMES).map((m) => `${n} ${metricToPath(m)}`));
    expect(deletes.sort()).toEqual(want.sort());
    // Copies and fills name the new metric (where the data ends up) and its path; deletes the old ones.
    for (const a of actions) {
      if (a.op === 'delete') expect(a.metric in RENAMES, a.metric).toBe(true);
      else expect([a.metric, a.toPath]).toEqual([RENAMES[pathToMetric(a.path).metric!], metricToPath(a.metric)]);
    }
    expect(snapshot(s.c, ALL_NAMES)).toEqual(s.before);

    const report = await applyPlan({ plan });
    expect(report.exitCode(), report.text().join('\n')).toBe(0);
    expectRenamedHere(s);
    // The directories the deletes emptied are gone (old/, srv/b/), a root never.
    for (const n of NODES) {
      expect(fs.existsSync(join(s.c.root(n), 'old'))).toBe(false);
      expect(fs.existsSync(join(s.c.root(n), 'srv/b'))).toBe(false);
    }
    // Again: nothing left to do, and a new rename plan finds nothing.
    expect((await applyPlan({ plan })).json().done).toMatchObject({ copied: 0, filled: 0, deleted: 0 });
    const again = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', s.mapFile, '--json']);
    expect(JSON.parse(again.out.trim().split('\n').pop()!).summary).toMatchObject({ oldNames: 0, copy: 0, fill: 0, delete: 0 });
  });
});

describe('rename --yes', () => {
  it('writes the plan and applies it at once; a literal map is looked up without a scan', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    const s = await setup('rename-yes');
    const literal = join(s.c.dir, 'literal.txt');
    fs.writeFileSync(literal, MAP.replace(/^re:.*$/m, 'srv.a.mem hosts.a.mem\nsrv.b.mem hosts.b.mem') + '\n');
    const plan = join(s.c.dir, 'yes.plan');
    const r = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', literal, '--yes', '-o', plan]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/^plan .*yes\.plan: 6 old names → 5 new names/m);
    expect(r.out).toContain('ok: everything selected is done');
    expectRenamedHere(s);
  });

  it('an old copy that is not a sound whisper file is left alone and kept; its sound twin is renamed', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    const s = await setup('rename-corrupt');
    const ring = s.c.ring('cluster.yaml');
    const [first, second] = owners(ring, 'srv.a.mem');
    fs.truncateSync(s.c.file(second!, 'srv.a.mem'), 30);
    const map = join(s.c.dir, 'one.txt');
    fs.writeFileSync(map, 'srv.a.mem hosts.a.mem\n');
    const r = await runCommand(Rename, ['--cluster', s.clusterFile, '--map', map, '--yes', '-o', join(s.c.dir, 'c.plan')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^skip srv\\.a\\.mem on ${second} \\(srv/a/mem\\.wsp\\): not renamed: not a sound whisper file`, 'm'));
    expect(fs.existsSync(s.c.file(second!, 'srv.a.mem'))).toBe(true);
    expect(fs.existsSync(s.c.file(first!, 'srv.a.mem'))).toBe(false);
    for (const o of owners(ring, 'hosts.a.mem'))
      expect(fileSlots(s.c.file(o, 'hosts.a.mem'))).toEqual(s.before.get(first!)!.get('srv.a.mem'));
  });
});
