// The tree walk and the scanner on real directories: every kind of entry, names that are hard for shells
// and for UTF-8, symlinks in and out of the root, several workers with donation and back-pressure, stats.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/storage/local-driver.js';
import { metricToPath } from '../src/storage/paths.js';
import { pathLocation } from '../src/storage/locations.js';
import { scanDriver, scanLocation } from '../src/storage/scan.js';
import type { ScanEntry } from '../src/storage/scan.js';
import { walkTree } from '../src/storage/walker.js';
import type { WalkEntry } from '../src/storage/driver.js';

let base: string;
let root: string;
let outside: string;

function touch(rel: string, content = ''): void {
  const p = join(root, rel);
  fs.mkdirSync(join(p, '..'), { recursive: true });
  fs.writeFileSync(p, content);
}

function rawPath(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

/** Metric names carbon-cache would have written, including the hard ones. */
const NAMES = [
  'servers.web01.cpu.user',
  'a.b.',
  'stats.with space.count',
  'shell.$(touch pwned).`id`.*.?.[x].{a,b}.\'q\'."dq".&|<>!#%',
  'unicode.caf\u00e9.\u043c\u0435\u0442\u0440\u0438\u043a\u0430.\u{1f600}',
  'back\\slash.x',
  'stats.example.counts;tag1=value1',
];

/** Raw names carbon-cache writes to a path whose canonical name differs (configs.md §2). */
const CANONICAL: Record<string, string> = {
  'dd..x.y': 'dd.x.y',
  '.lead.dot': 'lead.dot',
  'sl.a/b.c': 'sl.a.b.c',
  'up.a/../b': 'up.a.b',
  'tr.a/..': 'tr.a.',
};

async function collect(gen: AsyncIterable<ScanEntry[]>): Promise<ScanEntry[]> {
  const all: ScanEntry[] = [];
  for await (const b of gen) all.push(...b);
  return all;
}

async function walkAll(dir: string, opts: Parameters<typeof walkTree>[1] = {}): Promise<WalkEntry[]> {
  const all: WalkEntry[] = [];
  for await (const b of walkTree(dir, opts)) all.push(...b);
  return all;
}

beforeAll(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'ringshift-scan-'));
  root = join(base, 'whisper');
  outside = join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(join(outside, 'secret.wsp'), 'x');
  fs.mkdirSync(join(outside, 'tree'));
  fs.writeFileSync(join(outside, 'tree', 'leak.wsp'), 'x');

  for (const n of NAMES) touch(metricToPath(n, { hashTagged: false }));
  // Names whose file carries a different, canonical name: doubled/leading dots and '/'.
  for (const n of Object.keys(CANONICAL)) touch(metricToPath(n));
  touch(metricToPath('stats.example.counts;tag1=value1')); // hashed form too
  touch('_tagged/000/000/stats_DOT_example_DOT_counts;tag1=value1.wsp'); // wrong hash dirs
  touch('a..b/c.wsp'); // a directory named with dots: carbon never writes it
  touch('.../x.wsp');
  touch('dots/x.y.wsp');
  touch('line\nbreak.wsp');
  touch('not-a-metric.txt');
  touch('a/b/.c.wsp.ringshift-1-ab.tmp');
  // Names that are not UTF-8: a file, and a directory holding a file.
  fs.writeFileSync(rawPath(root, '/bad', Buffer.from([0xff]), '.wsp'), '');
  fs.mkdirSync(rawPath(root, '/dir', Buffer.from([0xfe, 0x41])));
  fs.writeFileSync(rawPath(root, '/dir', Buffer.from([0xfe, 0x41]), '/m.wsp'), '');
  // A real U+FFFD in a valid name is not a bad name.
  touch('repl\ufffdchar.wsp');
  // Symlinks: out of the root (file and dir), inside (file and dir), a loop, a broken one.
  fs.symlinkSync(join(outside, 'secret.wsp'), join(root, 'out-file.wsp'));
  fs.symlinkSync(join(outside, 'tree'), join(root, 'out-dir'));
  fs.symlinkSync('servers/web01/cpu/user.wsp', join(root, 'in-file.wsp'));
  fs.symlinkSync('servers', join(root, 'in-dir'));
  fs.symlinkSync('..', join(root, 'servers', 'loop'));
  fs.symlinkSync('nowhere', join(root, 'broken.wsp'));
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

function byPath(entries: ScanEntry[]): Map<string, ScanEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

describe('scan of a tricky tree (symlinks not followed)', () => {
  let entries: ScanEntry[];
  let map: Map<string, ScanEntry>;
  beforeAll(async () => {
    const driver = await LocalDriver.open(root);
    entries = await collect(scanDriver(driver, 'node-x', { concurrency: 3, batchSize: 3 }));
    map = byPath(entries);
  });

  it('finds every metric carbon wrote, under its canonical name', () => {
    const metrics = entries.filter((e) => e.kind === 'metric' || e.kind === 'trailing-dot' || e.kind === 'tagged');
    const names = new Set(metrics.map((e) => e.metric));
    for (const n of NAMES) expect(names.has(n)).toBe(true);
    expect(map.get('a/b/.wsp')).toMatchObject({ metric: 'a.b.', kind: 'trailing-dot', node: 'node-x' });
    expect(map.get('repl\ufffdchar.wsp')).toMatchObject({ metric: 'repl\ufffdchar', kind: 'metric' });
  });

  it('names files written for doubled dots, leading dots and "/" by their canonical name', () => {
    for (const [raw, canonical] of Object.entries(CANONICAL)) {
      const e = map.get(metricToPath(raw));
      expect(e?.metric, raw).toBe(canonical);
    }
    expect(map.get('tr/a/.wsp')?.kind).toBe('trailing-dot');
  });

  it('classifies the rest', () => {
    expect(map.get(metricToPath('stats.example.counts;tag1=value1'))?.kind).toBe('tagged-hashed');
    expect(map.get('_tagged/000/000/stats_DOT_example_DOT_counts;tag1=value1.wsp')?.kind).toBe('malformed');
    expect(map.get('a..b/c.wsp')?.kind).toBe('malformed');
    expect(map.get('.../x.wsp')?.kind).toBe('malformed');
    expect(map.get('dots/x.y.wsp')?.kind).toBe('malformed');
    expect(map.get('line\nbreak.wsp')?.kind).toBe('malformed');
    expect(map.has('not-a-metric.txt')).toBe(false);
    expect([...map.keys()].some((p) => p.includes('ringshift-1-ab'))).toBe(false);
  });

  it('reports names that are not UTF-8, escaped, without crashing', () => {
    expect(map.get('bad\\xff.wsp')).toMatchObject({ metric: null, kind: 'malformed', note: expect.stringMatching(/UTF-8/) });
    expect(map.get('dir\\xfeA/m.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
  });

  it('reports symlinks without following them', () => {
    expect(map.get('out-file.wsp')).toMatchObject({ kind: 'symlink', note: expect.stringContaining(join(outside, 'secret.wsp')) });
    expect(map.get('out-dir')).toMatchObject({ kind: 'symlink', metric: null });
    expect(map.get('in-file.wsp')).toMatchObject({ kind: 'symlink', metric: 'in-file' });
    expect(map.get('in-dir')?.kind).toBe('symlink');
    expect(map.get('servers/loop')?.kind).toBe('symlink');
    expect(map.get('broken.wsp')?.kind).toBe('symlink');
    expect([...map.keys()].some((p) => p.startsWith('in-dir/') || p.startsWith('out-dir/'))).toBe(false);
  });

  it('never names anything outside the root', () => {
    for (const e of entries) {
      expect(e.path.startsWith('/')).toBe(false);
      expect(e.path.split('/')).not.toContain('..');
      expect(e.metric ?? '').not.toMatch(/secret|leak/);
    }
  });

  it('has no size or mtime unless asked', () => {
    expect(entries.every((e) => e.size === null && e.mtime === null)).toBe(true);
  });
});

describe('scan with --follow-symlinks', () => {
  let map: Map<string, ScanEntry>;
  beforeAll(async () => {
    const driver = await LocalDriver.open(root);
    map = byPath(await collect(scanDriver(driver, 'n', { followSymlinks: true, stat: true })));
  });

  it('follows links inside the root, and only those', () => {
    expect(map.get('in-file.wsp')).toMatchObject({
      kind: 'metric',
      metric: 'in-file',
      note: expect.stringMatching(/via symlink to servers\/web01\/cpu\/user.wsp/),
    });
    expect(map.get('in-dir/web01/cpu/user.wsp')).toMatchObject({ kind: 'metric', metric: 'in-dir.web01.cpu.user' });
    expect(map.get('out-file.wsp')).toMatchObject({ kind: 'symlink', note: expect.stringMatching(/outside the root/) });
    expect(map.get('out-dir')).toMatchObject({ kind: 'symlink', note: expect.stringMatching(/outside the root/) });
    expect([...map.keys()].some((p) => p.startsWith('out-dir/'))).toBe(false);
    expect(map.get('broken.wsp')).toMatchObject({ kind: 'symlink', note: expect.stringMatching(/broken/) });
  });

  it('stops at directory loops', () => {
    expect(map.get('servers/loop')).toMatchObject({ kind: 'symlink', note: expect.stringMatching(/loop/) });
    expect(map.get('in-dir/loop')).toMatchObject({ kind: 'symlink', note: expect.stringMatching(/loop/) });
  });

  it('stats followed files', () => {
    const e = map.get('in-file.wsp')!;
    const st = fs.statSync(join(root, 'servers/web01/cpu/user.wsp'));
    expect(e.size).toBe(st.size);
    expect(e.mtime).toBe(Math.round(st.mtimeMs) / 1000);
  });
});

describe('walker on a bigger tree', () => {
  let big: string;
  const expected = new Set<string>();
  beforeAll(() => {
    big = join(base, 'big');
    // Uneven shape: one deep heavy subtree, many small ones, so donation has work to move.
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < (i === 0 ? 60 : 3); j++) {
        const dir = join(big, `t${i}`, `s${j}`, 'leaf');
        fs.mkdirSync(dir, { recursive: true });
        for (let k = 0; k < 10; k++) {
          fs.writeFileSync(join(dir, `m${k}.wsp`), String(k).repeat(k));
          expected.add(`t${i}/s${j}/leaf/m${k}.wsp`);
        }
      }
    }
  });

  it.each([1, 2, 4])('finds every file exactly once with %i workers', async (workers) => {
    const all = await walkAll(big, { concurrency: workers, batchSize: 50 });
    const rels = all.map((e) => e.rel);
    expect(rels.length).toBe(expected.size);
    expect(new Set(rels)).toEqual(expected);
    for (const e of all) expect(e.rel).toBe(e.dir === '' ? e.name : `${e.dir}/${e.name}`);
  });

  it('pauses for a slow consumer and still delivers everything', async () => {
    let n = 0;
    for await (const b of walkTree(big, { concurrency: 2, batchSize: 10 })) {
      n += b.length;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(n).toBe(expected.size);
  });

  it('can be abandoned part-way', async () => {
    let n = 0;
    for await (const b of walkTree(big, { concurrency: 2, batchSize: 10 })) {
      n += b.length;
      if (n > 100) break;
    }
    expect(n).toBeGreaterThan(100);
  });

  it('stats sizes and mtimes', async () => {
    const all = await walkAll(big, { stat: true, concurrency: 2 });
    for (const e of all.slice(0, 200)) {
      const st = fs.lstatSync(join(big, e.rel));
      expect(e.size).toBe(st.size);
      expect(e.mtimeMs).toBe(st.mtimeMs);
    }
  });

  it('reports progress', async () => {
    let last = { dirs: 0, files: 0 };
    await walkAll(big, { onProgress: (p) => (last = p) });
    expect(last.files).toBe(expected.size);
    expect(last.dirs).toBeGreaterThan(100);
  });

  it('throws for a root that is not a directory', async () => {
    await expect(walkAll(join(big, 't0/s0/leaf/m1.wsp'))).rejects.toThrow(/not a directory/);
    await expect(walkAll(join(big, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe.skipIf(process.getuid?.() === 0)('unreadable directories', () => {
  it('are reported, and the walk goes on', async () => {
    const dir = join(base, 'perm');
    fs.mkdirSync(join(dir, 'locked'), { recursive: true });
    fs.writeFileSync(join(dir, 'ok.wsp'), '');
    fs.chmodSync(join(dir, 'locked'), 0);
    try {
      const all = await walkAll(dir);
      expect(all.find((e) => e.rel === 'locked')).toMatchObject({ type: 'unreadable', note: expect.stringMatching(/EACCES/) });
      expect(all.find((e) => e.rel === 'ok.wsp')?.type).toBe('file');
    } finally {
      fs.chmodSync(join(dir, 'locked'), 0o755);
    }
  });
});

describe('any driver', () => {
  it('maps the entries of a driver that lists by itself (the shape a remote `find -printf` listing gives)', async () => {
    const listing = ['a/b/c.wsp', 'a/b/.wsp', '_tagged/872/252/stats_DOT_example_DOT_counts;tag1=value1.wsp', 'x/y.z.wsp'];
    const fake = {
      list: async function* (): AsyncGenerator<WalkEntry[]> {
        yield listing.map((rel) => {
          const slash = rel.lastIndexOf('/');
          return { rel, dir: rel.slice(0, Math.max(0, slash)), name: rel.slice(slash + 1), type: 'file' as const, size: 7, mtimeMs: 1500 };
        });
      },
    } as unknown as LocalDriver;
    const got = await collect(scanDriver(fake, 'remote'));
    expect(got.map((e) => [e.metric, e.kind, e.size, e.mtime, e.node])).toEqual([
      ['a.b.c', 'metric', 7, 1.5, 'remote'],
      ['a.b.', 'trailing-dot', 7, 1.5, 'remote'],
      ['stats.example.counts;tag1=value1', 'tagged', 7, 1.5, 'remote'],
      [null, 'malformed', 7, 1.5, 'remote'],
    ]);
  });

  it('lists every file with an empty suffix', async () => {
    const all = await walkAll(root, { suffix: '' });
    expect(all.some((e) => e.rel === 'not-a-metric.txt')).toBe(true);
    expect(all.some((e) => e.rel === 'a/b/.c.wsp.ringshift-1-ab.tmp')).toBe(true);
  });
});

describe('scanLocation', () => {
  it('scans a directory given by path, through a symlinked root', async () => {
    const link = join(base, 'whisper-link');
    fs.symlinkSync(root, link);
    const loc = await pathLocation(link);
    expect(loc.root).toBe(fs.realpathSync(root));
    expect(loc.id).toBe(link);
    const names: string[] = [];
    for await (const e of scanLocation(loc)) if (e.metric !== null) names.push(e.metric);
    expect(names).toContain('servers.web01.cpu.user');
  });
});
