// `ringshift backup` and `restore` on local clusters of real whisper files, the archive read and written
// by GNU tar as the independent party: one entry per selected metric, named by storage path (as bucky
// tar names them), holding the gap-only union of every sound copy (owners' values first); restore onto
// a ring that changed since (3 → 4 nodes): each metric created on its current owners or filled into
// the file an owner already has (its own points kept), idempotent when run again, journaled; a
// GNU-tar archive of path-named whisper files (bucky's format) is restored too; an archive that is not
// a tar of whisper files is refused with one line before anything is written.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricToPath } from '../src/storage/paths.js';
import { clusterFactory, NOW, owners, type TestCluster } from './audit-cluster.js';
import { fileSlots } from './helpers/apply-check.js';
import { runCommand } from './helpers/run-command.js';

const { default: Backup } = await import('../commands/backup.js');
const { default: Restore } = await import('../commands/restore.js');

const newCluster = clusterFactory();
const RING3 = { destinations: ['n1:2004:a', 'n2:2004:a', 'n3:2004:a'], replication: 2 };
const RING4 = { destinations: [...RING3.destinations, 'n4:2004:a'], replication: 2 };
const STORE3 = { n1: 'n1', n2: 'n2', n3: 'n3' };
const STORE4 = { ...STORE3, n4: 'n4' };
const SELECTED = ['servers.web1.cpu', 'servers.web1.mem', 'servers.web2.cpu', 'servers.db.disk.reads'];
const OTHER = ['apps.checkout.latency'];

function gnuTar(args: string[]): string {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

type Slots = Map<string, number>;

describe('backup and restore', () => {
  let src: TestCluster;
  let srcFile: string;
  /** metric → its copies' slots, owners first in ring order, then the stray. */
  const copies = new Map<string, Slots[]>();
  let archive: string;

  beforeAll(async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    src = newCluster('backup');
    srcFile = src.writeCluster('cluster.yaml', RING3, STORE3);
    const ring = src.ring('cluster.yaml');
    for (const m of [...SELECTED, ...OTHER]) {
      const o = owners(ring, m);
      for (let r = 0; r < o.length; r++) await src.plant(o[r]!, m, r, 200 + 50 * r);
      copies.set(
        m,
        o.map((n) => fileSlots(src.file(n, m))),
      );
    }
    // A stray copy with points of its own, and a corrupt stray that is left out.
    const stray = ['n1', 'n2', 'n3'].find((n) => !owners(ring, 'servers.web1.cpu').includes(n))!;
    await src.plant(stray, 'servers.web1.cpu', 2, 400);
    copies.get('servers.web1.cpu')!.push(fileSlots(src.file(stray, 'servers.web1.cpu')));
    const bad = ['n1', 'n2', 'n3'].find((n) => !owners(ring, 'servers.web2.cpu').includes(n))!;
    fs.mkdirSync(join(src.root(bad), 'servers/web2'), { recursive: true });
    fs.writeFileSync(src.file(bad, 'servers.web2.cpu'), 'not whisper');
    archive = join(src.dir, 'servers.tar');
  });

  it('backup: one entry per metric, named by path, holding the gap-only union of every sound copy', async () => {
    const r = await runCommand(Backup, ['--cluster', srcFile, '--match', 'servers.**', '-o', archive, '--json', '--quiet']);
    expect(r.code).toBe(1); // the corrupt stray was left out
    expect(r.err).toMatch(/servers\/web2\/cpu\.wsp on n\d left out: not a sound whisper file/);
    const summary = JSON.parse(r.out.trim().split('\n').pop()!).summary as Record<string, unknown>;
    expect(summary).toMatchObject({ metrics: SELECTED.length, copies: SELECTED.length * 2 + 1, skipped: 1 });
    const listed = gnuTar(['-tf', archive]).trim().split('\n').sort();
    expect(listed).toEqual(SELECTED.map((m) => metricToPath(m)).sort());
    const out = join(src.dir, 'extracted');
    fs.mkdirSync(out);
    gnuTar(['-xf', archive, '-C', out]);
    for (const m of SELECTED) {
      const got = fileSlots(join(out, metricToPath(m)));
      const cs = copies.get(m)!;
      const union = new Set(cs.flatMap((c) => [...c.keys()]));
      expect(new Set(got.keys()), m).toEqual(union);
      // The first copy (the primary owner's) wins every slot it has; the others fill its gaps.
      for (const [k, v] of got) expect(v, `${m} ${k}`).toBe(cs.find((c) => c.has(k))!.get(k));
      expect(union.size).toBeGreaterThan(cs[0]!.size);
    }
    expect(fs.readdirSync(src.dir).filter((f) => f.includes('.ringshift-'))).toEqual([]);
  });

  it('restore onto a changed ring: created on the current owners, filled where an owner has the file, idempotent', async () => {
    const dst = newCluster('restore');
    const dstFile = dst.writeCluster('cluster.yaml', RING4, STORE4);
    const ring = dst.ring('cluster.yaml');
    // One owner already has servers.web1.mem with points of its own.
    const has = owners(ring, 'servers.web1.mem')[0]!;
    await dst.plant(has, 'servers.web1.mem', 3, 60);
    const own = fileSlots(dst.file(has, 'servers.web1.mem'));
    const archived = new Map<string, Slots>();
    const out = join(src.dir, 'extracted');
    for (const m of SELECTED) archived.set(m, fileSlots(join(out, metricToPath(m))));

    const dry = await runCommand(Restore, [archive, '--cluster', dstFile, '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain(`would fill servers.web1.mem on ${has} (servers/web1/mem.wsp)`);
    expect(dry.out).toMatch(/^would restore 4 metrics: 7 created, 1 filled/m);
    for (const n of ['n1', 'n2', 'n3', 'n4'])
      for (const m of SELECTED) if (!(n === has && m === 'servers.web1.mem')) expect(fs.existsSync(dst.file(n, m))).toBe(false);

    const journal = join(dst.dir, 'restore.journal');
    const r = await runCommand(Restore, [archive, '--cluster', dstFile, '--journal', journal, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).summary).toMatchObject({ entries: 4, created: 7, filled: 1, failed: 0 });
    for (const m of SELECTED) {
      const o = owners(ring, m);
      for (const n of ['n1', 'n2', 'n3', 'n4']) expect(fs.existsSync(dst.file(n, m)), `${m} on ${n}`).toBe(o.includes(n));
      for (const n of o) {
        const got = fileSlots(dst.file(n, m));
        if (n === has && m === 'servers.web1.mem') {
          for (const [k, v] of own) expect(got.get(k), `own slot ${k} kept`).toBe(v);
          expect(new Set(got.keys())).toEqual(new Set([...own.keys(), ...archived.get(m)!.keys()]));
        } else expect(got, `${m} on ${n}`).toEqual(archived.get(m));
      }
    }
    const recs = fs
      .readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.filter((x) => x.t === 'create')).toHaveLength(7);
    expect(recs.filter((x) => x.t === 'result' && x.result === 'created')).toHaveLength(7);
    expect(recs.at(-1)).toMatchObject({ t: 'end', created: 7, filled: 1 });

    // Again (as after a crash): nothing created, every fill finds no gap the archive can fill.
    const again = await runCommand(Restore, [archive, '--cluster', dstFile, '--journal', join(dst.dir, 'again.journal'), '--json']);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out.trim().split('\n').pop()!).summary).toMatchObject({ created: 0, filled: 8, slots: 0 });
  });

  // Uses the files the backup test extracted (the tests of this describe run in order).
  it("reads a GNU tar of path-named whisper files (bucky tar's format), with directory entries and ./ prefixes", async () => {
    const dst = newCluster('restore-gnu');
    const dstFile = dst.writeCluster('cluster.yaml', RING3, STORE3);
    for (const n of ['n1', 'n2', 'n3']) dst.root(n);
    const gnu = join(dst.dir, 'gnu.tar');
    gnuTar(['-cf', gnu, '-C', join(src.dir, 'extracted'), './servers']);
    const r = await runCommand(Restore, [gnu, '--cluster', dstFile, '--match', 'servers.web1.*', '--journal', join(dst.dir, 'j')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^restored 2 metrics: 4 created, 0 filled/m);
    const ring = dst.ring('cluster.yaml');
    for (const n of owners(ring, 'servers.web1.cpu'))
      expect(fileSlots(dst.file(n, 'servers.web1.cpu'))).toEqual(fileSlots(join(src.dir, 'extracted/servers/web1/cpu.wsp')));
    expect(fs.existsSync(dst.file(owners(ring, 'servers.web2.cpu')[0]!, 'servers.web2.cpu'))).toBe(false);
  });

  it.each([
    ['not a tar', (dir: string) => fs.writeFileSync(join(dir, 'x.tar'), 'hello, not a tar at all'.repeat(40)), 'not a tar archive'],
    [
      'a tar of a text file named like a whisper file',
      (dir: string) => {
        fs.mkdirSync(join(dir, 't/a'), { recursive: true });
        fs.writeFileSync(join(dir, 't/a/b.wsp'), 'text');
        gnuTar(['-cf', join(dir, 'x.tar'), '-C', join(dir, 't'), 'a/b.wsp']);
      },
      'entry "a/b.wsp" is not a sound whisper file',
    ],
    [
      'a tar of a file that is no metric',
      (dir: string) => {
        fs.mkdirSync(join(dir, 't'), { recursive: true });
        fs.writeFileSync(join(dir, 't/readme.txt'), 'text');
        gnuTar(['-cf', join(dir, 'x.tar'), '-C', join(dir, 't'), 'readme.txt']);
      },
      'entry "readme.txt" is not a whisper file of a metric',
    ],
  ])('refuses %s with one line, exit 2, nothing written', async (_what, make, want) => {
    const dst = newCluster('restore-bad');
    const dstFile = dst.writeCluster('cluster.yaml', RING3, STORE3);
    make(dst.dir);
    const r = await runCommand(Restore, [join(dst.dir, 'x.tar'), '--cluster', dstFile, '--journal', join(dst.dir, 'j')]);
    expect(r.code).toBe(2);
    const lines = r.err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('ringshift: error:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`ringshift: error: ${join(dst.dir, 'x.tar')}: ${want}`);
    for (const n of ['n1', 'n2', 'n3']) expect(fs.readdirSync(dst.root(n))).toEqual([]);
  });
});
