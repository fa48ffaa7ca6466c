// The metric filter: Graphite glob semantics (checked against graphite-web's own finder on the same
// tree when /usr/bin/python3 has graphite-web), fnmatch details, tagged series, --regex and --metrics.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandBraces, fnmatchRegExp, GraphiteGlob, MetricFilter } from '../src/storage/metric-filter.js';
import { metricToPath } from '../src/storage/paths.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('fnmatch as Python translates it', () => {
  const cases: [string, string, boolean][] = [
    ['cpu*', 'cpu0', true],
    ['cpu*', 'cpu', true],
    ['cpu*', 'xcpu', false],
    ['c?u', 'cpu', true],
    ['c?u', 'cu', false],
    ['cpu[0-9]', 'cpu7', true],
    ['cpu[0-9]', 'cpux', false],
    ['cpu[!0-9]', 'cpux', true],
    ['cpu[!0-9]', 'cpu7', false],
    ['[z-a]', 'z', false], // reversed range: dropped, the set is empty
    ['[!z-a]', 'q', false], // "[!]" after dropping is a negated empty set?
    ['a[b', 'a[b', true], // an unclosed '[' is literal
    ['[]]', ']', true], // ']' first in a set is literal
    ['[!]]', 'x', true],
    ['[a-c-e]', '-', true],
    ['[a-c-e]', 'd', false],
    ['[a-c-e]', 'e', true],
    ['*a*a*a*b', 'a'.repeat(40), false],
    ['*a*a*a*b', 'a'.repeat(40) + 'b', true],
    ['a+b(c)', 'a+b(c)', true], // regex characters are literal
    ['*.wsp', 'x.wsp', true],
  ];
  it.each(cases)('%s vs %s', (pat, s, want) => {
    if (pat === '[!z-a]') {
      // Python: chunks ['!z', 'a'] -> 'z' > 'a' merges to '!' -> stuff '!' -> any character.
      expect(fnmatchRegExp(pat).test(s)).toBe(true);
      return;
    }
    expect(fnmatchRegExp(pat).test(s)).toBe(want);
  });

  it('agrees with /usr/bin/python3 fnmatch on many patterns', () => {
    const pats = [
      '*',
      'a*',
      '*b',
      'a?c',
      '[abc]x',
      '[!a-c]*',
      '[a-]',
      '[-a]',
      '[a--z]',
      '[z-a]x',
      '[!]',
      '[]-a]',
      'x[',
      '[[]',
      '[^a]',
      '[a-c-e-g]',
      '**a',
      'a\\b',
      '[\\]',
      '*[0-9]*',
    ];
    const subjects = [
      '',
      'a',
      'b',
      'abc',
      'axc',
      'x',
      'ax',
      '-',
      'ab',
      'zx',
      'q',
      ']',
      '[',
      '^',
      'x[',
      'f',
      'a\\b',
      '\\',
      'cpu12',
      'e',
      'g',
    ];
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import fnmatch,json,sys; p,s=json.load(sys.stdin); print(json.dumps([[fnmatch.fnmatchcase(x,q) for x in s] for q in p]))'],
      { input: JSON.stringify([pats, subjects]), encoding: 'utf8' },
    );
    if (py.status !== 0) return; // no python3 here: the cases above still run
    const want = JSON.parse(py.stdout) as boolean[][];
    const got = pats.map((p) => subjects.map((s) => fnmatchRegExp(p).test(s)));
    expect(got).toEqual(want);
  });
});

describe('brace expansion as graphite-web does it', () => {
  it('expands the leftmost innermost group first, nested and empty alternatives', () => {
    expect(expandBraces('{a,b}').sort()).toEqual(['a', 'b']);
    expect(expandBraces('x{a,{b,c}}y').sort()).toEqual(['xay', 'xby', 'xcy']);
    expect(expandBraces('{,a}b').sort()).toEqual(['ab', 'b']);
    expect(expandBraces('{a,b}{c,d}').sort()).toEqual(['ac', 'ad', 'bc', 'bd']);
    expect(expandBraces('{a').sort()).toEqual(['{a']);
    expect(expandBraces('{a,a}')).toEqual(['a']);
  });
  it('refuses an explosion', () => {
    expect(() => new GraphiteGlob('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toThrow(/more than 4096/);
  });
});

const NAMES = [
  'servers.web01.cpu.user',
  'servers.web01.cpu.system',
  'servers.web02.cpu.user',
  'servers.web02.mem.free',
  'servers.db1.cpu.user',
  'servers.db1.disk.sda.reads',
  'apps.checkout.latency.p95',
  'apps.checkout.latency.p99',
  'apps.search.latency.p95',
  'carbon.agents.a.cache.size',
  'a',
  'a.b',
  'x-y.z_1',
  'trailing.dot.',
];

const GLOBS = [
  '*',
  '*.*',
  'servers.*.cpu.*',
  'servers.web0[1-2].cpu.user',
  'servers.web0[!1].*.*',
  'servers.{web01,db1}.cpu.user',
  'servers.web{01,02}.{cpu,mem}.*',
  'apps.*.latency.p9?',
  'apps.{checkout,search}.latency.p95',
  '**',
  'servers.**',
  '**.user',
  'servers.**.reads',
  'apps.**.p95',
  'a.**',
  'a',
  'a.b',
  '*.b',
  'trailing.dot.*',
  'trailing.*',
  'servers.web*.cpu.u*r',
  'x-y.*',
  'servers\\.web01.*.*',
  'carbon.agents.*.*.*',
  '{servers,apps}.*.*.*',
  'nothing.*',
];

/** Which names graphite-web's StandardFinder finds for each glob, on a tree of empty .wsp files. */
function graphiteWebMatches(root: string, globs: string[]): string[][] | null {
  const script = `
import json, os, sys, warnings
warnings.simplefilter('ignore')
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')
from graphite.finders.standard import StandardFinder
root, globs = json.load(sys.stdin)
f = StandardFinder([root])
out = []
for g in globs:
    parts = g.replace('\\\\', '').split('.')
    hits = set()
    for p in f._find_paths(root, parts):
        if not p.endswith('.wsp') or os.path.basename(p).startswith('.'):
            continue
        if os.path.isfile(os.path.join(root, p)):
            hits.add(p)
    out.append(sorted(hits))
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify([root, globs]), encoding: 'utf8' });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as string[][];
}

describe('Graphite globs against graphite-web', () => {
  it('selects the same files as graphite-web on the same tree', (ctx) => {
    const root = fs.mkdtempSync(join(tmpdir(), 'ringshift-glob-'));
    dirs.push(root);
    const paths = NAMES.map((n) => metricToPath(n));
    for (const p of paths) {
      fs.mkdirSync(join(root, p, '..'), { recursive: true });
      fs.writeFileSync(join(root, p), '');
    }
    const want = graphiteWebMatches(root, GLOBS);
    if (want === null) return ctx.skip(); // graphite-web is not installed for /usr/bin/python3
    const got = GLOBS.map((g) => {
      const glob = new GraphiteGlob(g);
      return paths.filter((p) => glob.matchesPath(p)).sort();
    });
    for (let i = 0; i < GLOBS.length; i++) expect([GLOBS[i], got[i]]).toEqual([GLOBS[i], want[i]]);
    // The oracle must have found something for most globs, or the comparison proves little.
    expect(want.filter((w) => w.length > 0).length).toBeGreaterThanOrEqual(20);
  });

  it('the semantics without an oracle', () => {
    const m = (g: string, n: string) => new GraphiteGlob(g).matchesName(n);
    expect(m('servers.*.cpu.user', 'servers.web01.cpu.user')).toBe(true);
    expect(m('servers.*.user', 'servers.web01.cpu.user')).toBe(false); // * is one component
    expect(m('servers.**', 'servers.web01.cpu.user')).toBe(true);
    expect(m('servers.**', 'servers')).toBe(false); // terminal **: one or more
    expect(m('**.user', 'user')).toBe(true); // interior/leading **: zero or more
    expect(m('servers.**.user', 'servers.user')).toBe(true);
    expect(m('a.b.*', 'a.b.')).toBe(false); // a trailing-dot file is hidden
    expect(m('a\\.b', 'a.b')).toBe(true); // backslashes are dropped, as graphite-web does
    expect(m('a..b', 'a..b')).toBe(false); // an empty component matches no stored file
    expect(m('servers.web01.cpu.user', 'servers..web01.cpu.user')).toBe(true); // same file as carbon stores it
  });

  it('a glob with ; names one tagged series (carbon-normalised or as given)', () => {
    const g = new GraphiteGlob('cpu.user;host=web01;dc=x');
    expect(g.matchesName('cpu.user;dc=x;host=web01')).toBe(true);
    expect(g.matchesPath(metricToPath('cpu.user;dc=x;host=web01', { hashTagged: false }))).toBe(true);
    expect(g.matchesName('cpu.user;dc=y;host=web01')).toBe(false);
    expect(new GraphiteGlob('_tagged.**').matchesName('cpu.user;dc=x')).toBe(true);
    expect(new GraphiteGlob('*.*').matchesName('cpu.user;dc=x')).toBe(false);
  });
});

describe('MetricFilter', () => {
  it('unions values of one flag and intersects flags', async () => {
    const f = MetricFilter.of(['servers.*.cpu.*', 'apps.**'], [/web0/u]);
    expect(f.matchesName('servers.web01.cpu.user')).toBe(true);
    expect(f.matchesName('servers.db1.cpu.user')).toBe(false); // glob yes, regex no
    expect(f.matchesName('apps.checkout.latency.p95')).toBe(false);
    expect(MetricFilter.of(['apps.**']).matchesName('apps.checkout.latency.p95')).toBe(true);
    expect(await MetricFilter.fromSpec({})).toBeNull();
  });

  it('--metrics matches where carbon stores each name (double dots, tags in any order)', async () => {
    const d = fs.mkdtempSync(join(tmpdir(), 'ringshift-filter-'));
    dirs.push(d);
    const file = join(d, 'names.txt');
    fs.writeFileSync(file, 'a..b.c\n  spaced.name  \ncpu;host=a;dc=b\n\n');
    const f = (await MetricFilter.fromSpec({ metrics: file }))!;
    expect(f.matches({ metric: 'a.b.c', path: 'a/b/c.wsp' })).toBe(true);
    expect(f.matches({ metric: 'spaced.name', path: 'spaced/name.wsp' })).toBe(true);
    expect(f.matchesName('cpu;dc=b;host=a')).toBe(true);
    expect(f.matchesName('a.b')).toBe(false);
  });

  it('--regex searches the name; a bad one is a usage error', async () => {
    const f = (await MetricFilter.fromSpec({ regex: ['^servers\\.web0(1|2)\\.'] }))!;
    expect(f.matchesName('servers.web02.mem.free')).toBe(true);
    expect(f.matchesName('servers.web03.mem.free')).toBe(false);
    await expect(MetricFilter.fromSpec({ regex: ['(unclosed'] })).rejects.toThrow(/--regex "\(unclosed"/);
  });
});
