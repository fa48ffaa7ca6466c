// `ringshift delete` on a 3-node RF 2 cluster whose n2 and n3 are ssh:// locations (the in-process
// ssh2 server: real SFTP and exec on this machine): real whisper files on every owner plus stray
// copies, a hostile name, a symlink; the dry run touches nothing, --yes deletes every copy (owners and
// strays), journals intent and result, removes the directories left empty and never a storage root.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricToPath } from '../src/storage/paths.js';
import { clusterFactory, owners, type TestCluster } from './audit-cluster.js';
import { runCommand } from './helpers/run-command.js';
import { sshServerForFile } from './helpers/sshd.js';

const { default: Delete } = await import('../commands/delete.js');

const NODES = ['n1', 'n2', 'n3'];
const newCluster = clusterFactory();
const ssh = sshServerForFile();

const DOOMED = ['app.web1.cpu', 'app.web1.mem', 'app.web1.disk.sda', 'app.web1.we ird$(touch pwned)\\x'];
const KEPT = ['app.web2.cpu', 'app.web10.cpu', 'keep.me', 'app.web1x.cpu'];

interface Setup {
  c: TestCluster;
  clusterFile: string;
  sshArgs: string[];
  /** Every planted (node, metric). */
  planted: [string, string][];
}

async function setup(prefix: string): Promise<Setup> {
  const c = newCluster(prefix);
  const ringFile = c.writeCluster(
    'ring.yaml',
    { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 },
    { n1: 'n1', n2: 'n2', n3: 'n3' },
  );
  const ring = c.ring('ring.yaml');
  const storage = { n1: c.root('n1'), n2: ssh.server.url(c.root('n2')), n3: ssh.server.url(c.root('n3')) };
  const clusterFile = c.writeClusterAt('cluster.yaml', { destinations: NODES.map((n) => `${n}:2004:a`), replication: 2 }, storage);
  expect(fs.existsSync(ringFile)).toBe(true);
  const planted: [string, string][] = [];
  for (const m of [...DOOMED, ...KEPT]) {
    const o = owners(ring, m);
    expect(o).toHaveLength(2);
    for (let r = 0; r < o.length; r++) {
      await c.plant(o[r]!, m, r);
      planted.push([o[r]!, m]);
    }
  }
  // A stray copy of a doomed metric on the node that does not own it (a leftover of an old ring).
  const stray = NODES.find((n) => !owners(ring, 'app.web1.cpu').includes(n))!;
  await c.plant(stray, 'app.web1.cpu', 2);
  planted.push([stray, 'app.web1.cpu']);
  // A symlink among the doomed names: never deleted (nor what it points to).
  fs.symlinkSync(c.file(owners(ring, 'keep.me')[0]!, 'keep.me'), join(c.root('n1'), 'app/web1') + '/link.wsp');
  return {
    c,
    clusterFile,
    sshArgs: ['--identity', ssh.server.identityFile, '--known-hosts', ssh.server.knownHostsFile],
    planted,
  };
}

describe('delete on a 3-node RF 2 cluster with ssh:// nodes', () => {
  it('dry run by default: lists every copy, owners and strays, and touches nothing', async () => {
    const s = await setup('delete-dry');
    const r = await runCommand(Delete, ['--cluster', s.clusterFile, '--match', 'app.web1.**', '--json', '--quiet', ...s.sshArgs]);
    expect(r.code, r.err).toBe(0);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = rows.pop()!.summary as Record<string, unknown>;
    const want = s.planted.filter(([, m]) => DOOMED.includes(m)).map(([n, m]) => `${n} ${metricToPath(m)} would-delete`);
    const skipped = rows.filter((e) => e.result === 'skipped');
    expect(skipped.map((e) => `${e.node} ${e.path}`)).toEqual(['n1 app/web1/link.wsp']);
    expect(
      rows
        .filter((e) => e.result !== 'skipped')
        .map((e) => `${e.node} ${e.path} ${e.result}`)
        .sort(),
    ).toEqual(want.sort());
    expect(summary).toMatchObject({ dryRun: true, files: want.length, dirs: 0, failed: 0, skipped: 1 });
    for (const [n, m] of s.planted) expect(fs.existsSync(s.c.file(n, m)), `${n} ${m}`).toBe(true);
    // The text form says how to act.
    const t = await runCommand(Delete, ['--cluster', s.clusterFile, '--match', 'app.web1.**', '--quiet', ...s.sshArgs]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toContain(`would delete ${want.length} files`);
    expect(t.out).toContain('run again with --yes');
    expect(t.out).toMatch(/^would delete app\.web1\.cpu on n\d \(app\/web1\/cpu\.wsp\)$/m);
  });

  it('--yes deletes every copy, journals each step, removes the emptied directories and never a root', async () => {
    const s = await setup('delete-yes');
    const journal = join(s.c.dir, 'delete.journal');
    const r = await runCommand(Delete, [
      '--cluster',
      s.clusterFile,
      '--match',
      'app.web1.**',
      '--yes',
      '--journal',
      journal,
      '--json',
      '--quiet',
      ...s.sshArgs,
    ]);
    expect(r.code, r.err).toBe(0);
    const doomed = s.planted.filter(([, m]) => DOOMED.includes(m));
    for (const [n, m] of s.planted) expect(fs.existsSync(s.c.file(n, m)), `${n} ${m}`).toBe(!DOOMED.includes(m));
    expect(fs.existsSync(join(s.c.dir, 'pwned'))).toBe(false);
    // app/web1 held only doomed files on n2 and n3 (and the skipped symlink on n1): gone there, kept on n1.
    for (const n of ['n2', 'n3']) {
      expect(fs.existsSync(join(s.c.root(n), 'app/web1'))).toBe(false);
      expect(fs.existsSync(join(s.c.root(n), 'app/web1/disk'))).toBe(false);
    }
    expect(fs.readdirSync(join(s.c.root('n1'), 'app/web1'))).toEqual(['link.wsp']);
    for (const n of NODES) expect(fs.statSync(s.c.root(n)).isDirectory()).toBe(true);

    const recs = fs
      .readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs[0]).toMatchObject({ t: 'open', command: 'delete', nodes: NODES });
    const key = (x: Record<string, unknown>) => `${x.node} ${x.path}`;
    const want = doomed.map(([n, m]) => `${n} ${metricToPath(m)}`).sort();
    expect(
      recs
        .filter((x) => x.t === 'delete')
        .map(key)
        .sort(),
    ).toEqual(want);
    expect(
      recs
        .filter((x) => x.t === 'result' && x.result === 'deleted')
        .map(key)
        .sort(),
    ).toEqual(want);
    // Each intent is on disk before its result.
    for (const k of want)
      expect(recs.findIndex((x) => x.t === 'delete' && key(x) === k)).toBeLessThan(recs.findIndex((x) => x.t === 'result' && key(x) === k));
    const rmdirs = recs.filter((x) => x.t === 'rmdir').map(key);
    for (const n of ['n2', 'n3']) {
      const holds = doomed.some(([dn, m]) => dn === n && m.startsWith('app.web1.disk'));
      if (holds) expect(rmdirs).toContain(`${n} app/web1/disk`);
      expect(rmdirs).toContain(`${n} app/web1`);
    }
    expect(rmdirs.some((d) => d.endsWith(' app'))).toBe(false); // app/ still holds web2, web10, web1x
    expect(recs.at(-1)).toMatchObject({ t: 'end', files: doomed.length, failed: 0 });

    // Again: nothing left to delete; the journal file is never reused.
    const again = await runCommand(Delete, [
      '--cluster',
      s.clusterFile,
      '--match',
      'app.web1.**',
      '--yes',
      '--journal',
      journal,
      ...s.sshArgs,
    ]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exists');
  });

  it('everything on one node: the tree is emptied, the storage root stays', async () => {
    const s = await setup('delete-all');
    const r = await runCommand(Delete, [
      '--cluster',
      s.clusterFile,
      '--node',
      'n3',
      '--match',
      '**',
      '--yes',
      '--journal',
      join(s.c.dir, 'j'),
      '--quiet',
      ...s.sshArgs,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(fs.readdirSync(s.c.root('n3'))).toEqual([]);
    for (const [n, m] of s.planted) if (n !== 'n3') expect(fs.existsSync(s.c.file(n, m))).toBe(true);
    expect(r.out).toMatch(/^deleted \d+ files \(.*\) on 1 location, removed \d+ empty directories$/m);
  });

  it('a plain whisper directory; no filter is a usage error; --metrics names exact metrics', async () => {
    const s = await setup('delete-dir');
    const none = await runCommand(Delete, [s.c.root('n1'), '--yes']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('delete needs a metric filter');
    const list = join(s.c.dir, 'names.txt');
    fs.writeFileSync(list, 'keep.me\napp.web2.cpu\n');
    const r = await runCommand(Delete, [s.c.root('n1'), '--metrics', list, '--yes', '--journal', join(s.c.dir, 'j2'), '--quiet']);
    expect(r.code, r.err).toBe(0);
    for (const [n, m] of s.planted) if (n === 'n1') expect(fs.existsSync(s.c.file(n, m)), m).toBe(!['keep.me', 'app.web2.cpu'].includes(m));
    // the symlink to keep.me is left dangling, not followed
    expect(fs.lstatSync(join(s.c.root('n1'), 'app/web1/link.wsp')).isSymbolicLink()).toBe(true);
  });
});
