// ringshift audit on small clusters of real whisper files placed by the ring: a ring change, a raw
// double-dot name, a carbon-relay.py → carbon-c-relay migration, trailing-dot files, duplicates,
// missing replicas, self-metrics, shared directories and awkward names. Expected classes come from
// the ring (ring.locate), never from hard-coded placements.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Audit from '../commands/audit.js';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { runAudit } from '../src/audit/run-audit.js';
import { dotVariants } from '../src/audit/variants.js';
import { metricToPath } from '../src/storage/paths.js';
import { clusterFactory, NOW, owners, runCommand } from './audit-cluster.js';
import { NODES3, NODES4, STORE3 } from './helpers/three-to-four.js';

const cluster = clusterFactory();

async function audit(clusterPath: string, extra: Partial<Parameters<typeof runAudit>[0]> = {}): Promise<AuditFinding[]> {
  const out: AuditFinding[] = [];
  await runAudit({ clusterPath, ...extra }, (f) => void out.push(f));
  return out;
}

const STORE4 = { n1: 'n1', n2: 'n2', n3: 'n3', n4: 'n4' };
const names = (n: number, prefix = 'sys.host'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}.cpu.user`);

describe('audit: a ring change (3 → 4 nodes)', () => {
  const c = cluster('audit-ring');
  const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
  const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
  const oldRing = c.ring('old.yaml');
  const newRing = c.ring('new.yaml');
  const metrics = names(30);
  const ready = c.plantOnOwners(oldRing, metrics);

  it('classifies every file by the new ring, explains leftovers with --old-ring and lists missing replicas', async () => {
    await ready;
    const fs1 = await audit(newPath, { oldRing: oldPath });
    let expectedMoved = 0;
    let expectedMissing = 0;
    for (const m of metrics) {
      const before = owners(oldRing, m);
      const after = owners(newRing, m);
      for (const node of before) {
        const f = fs1.find((x) => x.metric === m && x.node === node && x.kind !== 'missing-replica')!;
        expect(f.owners.sort()).toEqual([...after].sort());
        if (after.includes(node)) expect(f.kind).toBe('ok');
        else {
          expectedMoved++;
          expect(f.kind).toBe('misplaced');
          expect(f.explanation).toBe('old-ring');
          expect((f.evidence!.oldOwners as string[]).sort()).toEqual([...before].sort());
        }
      }
      for (const node of after.filter((n) => !before.includes(n))) {
        expectedMissing++;
        const miss = fs1.find((x) => x.kind === 'missing-replica' && x.metric === m && x.node === node)!;
        expect(miss.path).toBe(metricToPath(m));
        expect((miss.evidence!.heldAt as string[]).sort()).toEqual([...before].sort());
      }
    }
    expect(expectedMoved).toBeGreaterThan(0);
    expect(fs1.filter((f) => f.kind === 'misplaced')).toHaveLength(expectedMoved);
    expect(fs1.filter((f) => f.kind === 'missing-replica')).toHaveLength(expectedMissing);
  });

  it('without --old-ring a stale leftover is unexplained (nothing writes it: no guess keeps it in place)', async () => {
    await ready;
    const fs1 = await audit(newPath);
    const leftovers = fs1.filter((x) => x.kind === 'misplaced' || x.kind === 'extra-copy');
    expect(leftovers.length).toBeGreaterThan(0);
    for (const f of leftovers) expect(f.explanation ?? f.kind).toMatch(/unexplained|extra-copy/);
  });

  it('a live leftover (points after --switched-at) is live; a one-dot variant that hashes there is named as a guess', async () => {
    await ready;
    // The planted points end an hour before NOW: a switch two hours before NOW makes every leftover live.
    const fs1 = await audit(newPath, { switchedAt: NOW - 7200 });
    const live = fs1.filter((x) => x.kind === 'misplaced');
    expect(live.length).toBeGreaterThan(0);
    let guessed = 0;
    for (const f of live) {
      expect(f.explanation).toBe('live');
      expect(f.evidence!.lastPoint).toBeGreaterThan(NOW - 7200);
      const sentBy = f.evidence!.sentBy as { ring: string; confidence?: string; raw?: string[] }[];
      const locIsVariantOwner = dotVariants(f.metric!).some((v) => owners(newRing, v).includes(f.node));
      const guess = sentBy.find((s) => s.ring === 'raw-name');
      expect(guess !== undefined).toBe(locIsVariantOwner);
      if (guess !== undefined) {
        guessed++;
        expect(guess.confidence).toBe('suspected');
        const was = f.evidence!.was as { explanation: string; evidence: Record<string, unknown> };
        expect(was.explanation).toBe('double-dot');
        expect(was.evidence.variants).toBe(dotVariants(f.metric!).length);
      }
    }
    expect(guessed).toBeGreaterThan(0);
    // With the old ring, the live leftovers name it as their sender (a relay not switched yet).
    const withOld = await audit(newPath, { oldRing: oldPath, switchedAt: NOW - 7200 });
    for (const f of withOld.filter((x) => x.kind === 'misplaced'))
      expect((f.evidence!.sentBy as { ring: string }[]).map((s) => s.ring)).toContain('old-ring');
  });

  it('the same findings when the grouping spills to disk', async () => {
    await ready;
    const inMemory = await audit(newPath, { oldRing: oldPath });
    const tmp = fs.mkdtempSync(join(c.dir, 'spill-'));
    const spilled = await audit(newPath, { oldRing: oldPath, grouper: { memoryEntries: 0, tmpDir: tmp } });
    expect(spilled).toEqual(inMemory);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('audit: a raw double-dot name placed by its raw hash', () => {
  const c = cluster('audit-dd');
  const path = c.writeCluster('cluster.yaml', { destinations: NODES3 }, STORE3);
  const ring = c.ring('cluster.yaml');
  // The first name whose doubled-dot variant hashes elsewhere than the name itself.
  let stored = '';
  let raw = '';
  for (let i = 0; raw === ''; i++) {
    const s = `app${i}.requests.count`;
    const v = dotVariants(s).find((x) => owners(ring, x)[0] !== owners(ring, s)[0] && x.includes('..'));
    if (v !== undefined) [stored, raw] = [s, v];
  }
  const rawNode = owners(ring, raw)[0]!;
  const storedNode = owners(ring, stored)[0]!;
  const namesFile = join(c.dir, 'names.txt');
  const ready = (async () => {
    await c.plant(rawNode, raw); // carbon-relay.py hashes `a..b`, carbon-cache writes a/b
    await c.plant(storedNode, stored, 1); // the clean name's own traffic
    fs.writeFileSync(namesFile, `${stored} 1 ${1700000000}\n${raw} 2 ${1700000000}\nother.metric\n`);
  })();

  it('stores both at the same path', () => {
    expect(metricToPath(raw)).toBe(metricToPath(stored));
  });

  it('is confirmed by --names', async () => {
    await ready;
    const f = (await audit(path, { names: namesFile })).find((x) => x.node === rawNode)!;
    expect(f).toMatchObject({ kind: 'misplaced', metric: stored, explanation: 'double-dot', owners: [storedNode] });
    expect(f.evidence).toEqual({ confidence: 'confirmed', raw: [raw] });
  });

  it('is suspected without --names while live, with the variant count and a chance', async () => {
    await ready;
    const f = (await audit(path, { switchedAt: NOW - 7200 })).find((x) => x.node === rawNode)!;
    expect(f.explanation).toBe('live');
    const was = f.evidence!.was as { explanation: string; evidence: Record<string, unknown> };
    expect(was.explanation).toBe('double-dot');
    expect(was.evidence).toMatchObject({ confidence: 'suspected', variants: dotVariants(stored).length });
    expect(was.evidence.raw).toContain(raw);
    // Stale, nothing writes it: no guess.
    const stale = (await audit(path)).find((x) => x.node === rawNode)!;
    expect(stale.kind).toBe('extra-copy');
  });

  it('--names-complete without the raw form rules it out; a names list is a sample by default', async () => {
    await ready;
    const clean = join(c.dir, 'clean-names.txt');
    fs.writeFileSync(clean, `${stored}\n`);
    const ruled = (await audit(path, { names: clean, namesComplete: true, switchedAt: NOW - 7200 })).find((x) => x.node === rawNode)!;
    expect(ruled.explanation).toBe('live');
    expect((ruled.evidence!.was as { explanation: string }).explanation).toBe('unexplained');
    expect(ruled.evidence!.sentBy).toEqual([]);
    const sample = (await audit(path, { names: clean, switchedAt: NOW - 7200 })).find((x) => x.node === rawNode)!;
    expect((sample.evidence!.was as { evidence: unknown }).evidence).toMatchObject({ confidence: 'suspected', inNames: false });
  });

  it('an empty or unreadable --names file is an error, not an empty list', async () => {
    await ready;
    const empty = join(c.dir, 'empty-names.txt');
    fs.writeFileSync(empty, '');
    await expect(audit(path, { names: empty })).rejects.toThrow(/--names: the file is empty/);
    fs.writeFileSync(empty, '\n\n');
    await expect(audit(path, { names: empty })).rejects.toThrow(/no metric name in 2 lines/);
    await expect(audit(path, { names: join(c.dir, 'nope.txt') })).rejects.toThrow(/cannot read names: ENOENT/);
  });

  it('a --names line with "/" is the raw name the relay saw: hashed as written', async () => {
    await ready;
    // carbon-cache stores "svcN/latency.p50" at svcN/latency/p50.wsp; the relay hashed the raw name.
    let clean = '';
    let slashRaw = '';
    for (let i = 0; slashRaw === ''; i++) {
      const s2 = `svc${i}.latency.p50`;
      const r2 = `svc${i}/latency.p50`;
      if (owners(ring, r2)[0] !== owners(ring, s2)[0]) [clean, slashRaw] = [s2, r2];
    }
    const at = owners(ring, slashRaw)[0]!;
    await c.plantPath(at, metricToPath(slashRaw), clean);
    const names = join(c.dir, 'slash-names.txt');
    fs.writeFileSync(names, `${slashRaw}\n`);
    const f = (await audit(path, { names })).find((x) => x.path === metricToPath(clean))!;
    expect(f).toMatchObject({ node: at, metric: clean, explanation: 'double-dot', evidence: { confidence: 'confirmed', raw: [slashRaw] } });
  });
});

describe('audit: carbon-relay.py → carbon-c-relay migration', () => {
  const c = cluster('audit-crelay');
  const oldPath = c.writeCluster('old.yaml', { destinations: NODES3 }, STORE3);
  const newPath = c.writeCluster('new.yaml', { impl: 'carbon-c-relay', destinations: ['n1:2004', 'n2:2004', 'n3:2004'] }, STORE3);
  const oldRing = c.ring('old.yaml');
  const newRing = c.ring('new.yaml');
  const split = 'app.req(total).count'; // c-relay writes app.req_total_.count
  const lone = 'app.latency@p99'; // no twin yet
  const twin = newRing.locate(split).routedAs!;
  const loneTwin = newRing.locate(lone).routedAs!;
  const ready = (async () => {
    await c.plant(owners(oldRing, split)[0]!, split);
    await c.plant(owners(newRing, twin)[0]!, twin, 1);
    await c.plant(owners(oldRing, lone)[0]!, lone);
    await c.plant(owners(newRing, 'app.clean.metric')[0]!, 'app.clean.metric');
  })();

  it('names the cleansed twin of every name the relay rewrites', async () => {
    await ready;
    expect(twin).toBe('app.req_total_.count');
    const fs1 = await audit(newPath);
    const f = fs1.find((x) => x.metric === split)!;
    expect(f.kind).toBe('misplaced');
    expect(f.explanation).toBe('cleansing');
    expect(f.owners).toEqual(owners(newRing, twin));
    expect(f.evidence).toEqual({ twin, twinPath: metricToPath(twin), twinHeldAt: owners(newRing, twin) });
    expect(fs1.find((x) => x.metric === twin)!.kind).toBe('ok');
    const l = fs1.find((x) => x.metric === lone)!;
    expect(l.evidence).toMatchObject({ twin: loneTwin, twinHeldAt: [] });
    // The twin's owner lacks the twin while a split holds its data.
    expect(fs1.find((x) => x.kind === 'missing-replica' && x.metric === loneTwin)?.node).toBe(owners(newRing, loneTwin)[0]);
    expect(fs1.find((x) => x.metric === 'app.clean.metric')!.kind).toBe('ok');
  });

  it('--old-ring explains the split first, keeping the twin as evidence', async () => {
    await ready;
    const f = (await audit(newPath, { oldRing: oldPath })).find((x) => x.metric === split)!;
    expect(f.explanation).toBe('old-ring');
    expect(f.evidence!.twin).toBe(twin);
  });
});

describe('audit: trailing dots, self-metrics, duplicates, missing replicas, shared directories', () => {
  const c = cluster('audit-misc');
  // n1 has two instances writing one directory: one location (DIVERSE_REPLICAS off, so both replicas
  // of a metric can land on n1's instances).
  const path = c.writeCluster(
    'cluster.yaml',
    { destinations: ['n1:2004:a', 'n1:2104:b', 'n2:2004:a', 'n3:2004:a'], replication: 2, diverse: false },
    { 'n1:a': 'n1', 'n1:b': 'n1', n2: 'n2', n3: 'n3' },
  );
  const ring = c.ring('cluster.yaml');
  const loc = (server: string): string => (server === 'n1' ? 'n1:a+n1:b' : server);
  const own = (m: string): string[] => [...new Set(ring.locate(m).owners.map((d) => loc(d.server)))];
  const all = ['n1:a+n1:b', 'n2', 'n3'];
  const ms = names(24, 'web.h');
  const dup = ms.find((m) => own(m).length === 2)!;
  const lonely = ms.find((m) => m !== dup && own(m).length === 2)!;
  const shared = ms.find((m) => own(m).length === 1)!; // both replicas on n1's two instances
  const dir = (l: string): string => (l === 'n1:a+n1:b' ? 'n1' : l);
  const ready = (async () => {
    for (const m of ms) {
      const o = own(m);
      for (let r = 0; r < o.length; r++) if (m !== lonely || r === 0) await c.plant(dir(o[r]!), m, r);
    }
    const stranger = all.find((l) => !own(dup).includes(l))!;
    await c.plant(dir(stranger), dup, 1);
    await c.plant('n2', 'web.h1.cpu.'); // trailing dot: web/h1/cpu/.wsp
    await c.plant('n3', 'carbon.agents.n3-a.cpuUsage');
    await c.plantPath('n2', 'junk/bad.name.wsp');
    await c.plantPath('n2', `_tagged/abc/def/abcdef${'0'.repeat(58)}.wsp`);
    fs.symlinkSync('/etc/passwd', join(c.root('n3'), 'link.wsp'));
  })();

  it('classifies each kind', async () => {
    await ready;
    const fs1 = await audit(path);
    const byMetric = (m: string) => fs1.filter((f) => f.metric === m);
    expect(own(shared)).toEqual(['n1:a+n1:b']);
    expect(byMetric(shared).map((f) => f.kind)).toEqual(['ok']);
    const extra = byMetric(dup).find((f) => !own(dup).includes(f.node))!;
    expect(extra.kind).toBe('extra-copy');
    expect((extra.evidence!.heldAt as string[]).sort()).toEqual([...own(dup)].sort());
    const miss = byMetric(lonely).filter((f) => f.kind === 'missing-replica');
    expect(miss.map((f) => f.node)).toEqual([own(lonely)[1]]);
    const td = fs1.find((f) => f.kind === 'trailing-dot')!;
    expect(td).toMatchObject({ node: 'n2', path: 'web/h1/cpu/.wsp', metric: 'web.h1.cpu.' });
    expect(td.evidence).toEqual({ raw: 'web.h1.cpu.', atOwner: own('web.h1.cpu.').includes('n2') });
    expect(fs1.find((f) => f.kind === 'self-metric')).toMatchObject({ node: 'n3', metric: 'carbon.agents.n3-a.cpuUsage' });
    expect(fs1.find((f) => f.kind === 'malformed')).toMatchObject({ node: 'n2', path: 'junk/bad.name.wsp', metric: null });
    expect(fs1.find((f) => f.kind === 'tagged-hashed')).toMatchObject({ node: 'n2', metric: null });
    expect(fs1.find((f) => f.kind === 'symlink')).toMatchObject({ node: 'n3', path: 'link.wsp' });
  });

  it('--self-prefix replaces the default prefix', async () => {
    await ready;
    const fs1 = await audit(path, { selfPrefixes: ['carbon.relays.'] });
    expect(fs1.find((f) => f.metric === 'carbon.agents.n3-a.cpuUsage')!.kind).not.toBe('self-metric');
  });

  it('the command: table, --json lines ending in a summary, --fail-on exit codes', async () => {
    await ready;
    const text = await runCommand(Audit, ['--cluster', path]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^class\s+files\s+bytes\s+n1:a\+n1:b\s+n2\s+n3/m);
    expect(text.out).toMatch(/^extra-copy\s+1\s/m);
    expect(text.out).toMatch(/^missing-replica\s+1\s/m);

    const json = await runCommand(Audit, ['--cluster', path, '--json']);
    const lines = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop()!.summary as { files: number; classes: Record<string, { files: number }> };
    expect(lines.every((l) => typeof l.kind === 'string' && l.kind !== 'ok')).toBe(true);
    expect(summary.classes['extra-copy']!.files).toBe(1);
    const onDisk = Object.entries(summary.classes)
      .filter(([k]) => k !== 'missing-replica')
      .reduce((n, [, v]) => n + v.files, 0);
    expect(summary.files).toBe(onDisk);
    const withOk = await runCommand(Audit, ['--cluster', path, '--json', '--all']);
    expect(withOk.out.split('\n').filter((l) => l.includes('"kind":"ok"')).length).toBe(summary.classes.ok!.files);

    expect((await runCommand(Audit, ['--cluster', path, '--fail-on', 'misplaced'])).code).toBe(0);
    const failing = await runCommand(Audit, ['--cluster', path, '--fail-on', 'misplaced,missing-replica']);
    expect(failing.code).toBe(1);
    expect(failing.out).toMatch(/^fail: missing-replica \(1\)$/m);
    const bad = await runCommand(Audit, ['--cluster', path, '--fail-on', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--fail-on: unknown kind "nonsense"/);
  });
});

describe('audit: awkward names never escape the root', () => {
  const c = cluster('audit-names');
  const path = c.writeCluster('cluster.yaml', { destinations: NODES3 }, STORE3);
  const ring = c.ring('cluster.yaml');
  const odd = [
    'odd.with space.x',
    'odd.$(touch pwned).y',
    'odd.`id`;x',
    'odd.naïve.ünïcode',
    'odd.a/../../b',
    'odd.*?[x]|&>',
    'odd.quote\'"q',
  ];
  const ready = (async () => {
    // Each on a non-owner, so the audit has something to say about it.
    for (const m of odd) {
      const o = owners(ring, m)[0]!;
      await c.plant(
        ['n1', 'n2', 'n3'].find((n) => n !== o)!,
        m,
      );
    }
  })();

  it('maps each to a path inside the root and reports it under its stored name', async () => {
    await ready;
    const fs1 = await audit(path);
    for (const m of odd) {
      const rel = metricToPath(m);
      expect(rel.split('/')).not.toContain('..');
      const f = fs1.find((x) => x.path === rel && x.kind !== 'missing-replica')!;
      expect(f).toBeDefined();
      expect(f.kind).not.toBe('ok');
      expect(fs.existsSync(join(c.dir, 'nodes', f.node, rel))).toBe(true);
    }
    expect(fs.existsSync(join(c.dir, 'pwned'))).toBe(false);
    expect(fs.existsSync(join(c.dir, 'nodes', 'b.wsp'))).toBe(false);
  });
});
