// `ringshift stale`: carbonate's carbon-stale semantics. Self-contained: files whose last points were
// written at known times (each written when its points arrived, as carbon-cache writes them), judged
// by mtime and by data against hand-computed answers. Against carbonate itself when CARBONATE_DIR
// names a carbonate source checkout (its carbon-stale run with /usr/bin/python3 on the same tree;
// carbonate is never part of this repository).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { plantMetric } from '../src/example/seed.js';
import { fetchWindow } from '../src/toolbox/staleness.js';
import { runCommand } from './helpers/run-command.js';

const { default: Stale } = await import('../commands/stale.js');

const H = 3600;
/** Finest archive 1m for 12h, then 1h for 7d; xFilesFactor 0.5 (whisper's default). */
const RET: [number, number][] = [
  [60, 720],
  [3600, 168],
];

interface Planted {
  name: string;
  /** Seconds before "now" of the last point (null: no point). */
  lastAgo: number | null;
  /** Points every `every` seconds over the 2 h before the last one. */
  every: number;
}

const FILES: Planted[] = [
  { name: 'fresh.cpu', lastAgo: 120, every: 60 },
  { name: 'hour.cpu', lastAgo: 2 * H, every: 60 },
  { name: 'quarter.cpu', lastAgo: 5 * H, every: 60 },
  { name: 'halfday.cpu', lastAgo: 10 * H, every: 60 },
  { name: 'day.cpu', lastAgo: 30 * H, every: 60 },
  { name: 'sparse.cpu', lastAgo: 20 * H, every: 3600 }, // one point an hour: the 1h archive stays empty (xff 0.5)
  { name: 'never.cpu', lastAgo: null, every: 60 },
  { name: 'dir.x.y', lastAgo: 3 * H, every: 60 },
];

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
afterEach(() => {
  delete process.env.RINGSHIFT_NOW;
});

/** A tree where each file was written when its last point arrived (mtime = that time). */
async function plantTree(now: number): Promise<string> {
  const root = fs.mkdtempSync(join(tmpdir(), 'ringshift-stale-'));
  made.push(root);
  for (const f of FILES) {
    const writeAt = f.lastAgo === null ? now - 40 * H : now - f.lastAgo;
    const points: [number, number][] = [];
    if (f.lastAgo !== null) for (let t = writeAt - 2 * H; t <= writeAt; t += f.every) points.push([t, 1]);
    await plantMetric(root, f.name, { now: writeAt, points, retentions: RET, mtime: writeAt + 1 });
  }
  return root;
}

async function stale(root: string, args: string[]): Promise<string[]> {
  const r = await runCommand(Stale, [root, '--quiet', ...args]);
  expect(r.code, r.err).toBe(0);
  return r.out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('stale, self-contained', () => {
  const NOW = 1_700_000_000;
  let root: string;
  beforeAll(async () => {
    root = await plantTree(NOW);
  });

  it('by mtime: not modified within --older-than', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    expect(await stale(root, ['--older-than', '6h'])).toEqual(['day.cpu', 'halfday.cpu', 'never.cpu', 'sparse.cpu']);
    expect(await stale(root, ['--older-than', '1h', '--invert'])).toEqual(['fresh.cpu']);
  });

  it('by data: no point in whisper.fetch window of the finest archive', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    expect(await stale(root, ['--older-than', '4h', '--by', 'data'])).toEqual([
      'day.cpu',
      'halfday.cpu',
      'never.cpu',
      'quarter.cpu',
      'sparse.cpu',
    ]);
    // Longer than the finest archive's 12 h: its last points are still there (carbonate would read
    // the 1h archive, empty for the sparse metric).
    expect(await stale(root, ['--older-than', '24h', '--by', 'data'])).toEqual(['day.cpu', 'never.cpu']);
  });

  it('the window is whisper.fetch: from the step after now − DUR through the step holding now', () => {
    expect(fetchWindow(1000, 2000, 60)).toEqual([1020, 2040]);
    expect(fetchWindow(960, 960, 60)).toEqual([1020, 1080]);
  });

  it('filters, JSON with the newest point, a summary line', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    const r = await runCommand(Stale, [root, '--older-than', '1h', '--by', 'data', '--match', '*.cpu', '--json']);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    expect(summary).toMatchObject({ files: 7, stale: 6, by: 'data' });
    const day = lines.find((x) => x.metric === 'day.cpu');
    expect(day).toMatchObject({ path: 'day/cpu.wsp', stale: true, lastPoint: NOW - 30 * H - ((NOW - 30 * H) % 60) });
    expect(lines.find((x) => x.metric === 'never.cpu').lastPoint).toBeNull();
    expect(r.err).toMatch(/6 stale files of 7 files \(by data/);
  });

  it('a corrupt file is an error line and exit 1, the others are still checked', async () => {
    process.env.RINGSHIFT_NOW = String(NOW);
    fs.mkdirSync(join(root, 'bad'), { recursive: true });
    fs.writeFileSync(join(root, 'bad', 'file.wsp'), Buffer.alloc(10));
    try {
      const r = await runCommand(Stale, [root, '--older-than', '4h', '--by', 'data']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/bad\/file\.wsp: not a sound whisper file/);
      expect(r.out.split('\n').filter((l) => l !== '')).toHaveLength(5);
    } finally {
      fs.rmSync(join(root, 'bad'), { recursive: true });
    }
  });
});

describe('stale against carbonate carbon-stale (CARBONATE_DIR)', () => {
  const dir = process.env.CARBONATE_DIR;
  function carbonStale(root: string, hours: number, whisper: boolean): string[] | null {
    const names = FILES.map((f) => f.name).join('\n') + '\n';
    const argv = ['carbon-stale', '-d', root, '-l', String(hours), ...(whisper ? ['-w'] : [])];
    const r = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); sys.argv = ${JSON.stringify(argv)}\nfrom carbonate.cli import carbon_stale\ncarbon_stale()`,
      ],
      { input: names, encoding: 'utf8', cwd: '/' },
    );
    if (r.status !== 0) throw new Error(`carbon-stale failed: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  }

  it.runIf(dir !== undefined)('reports the same metrics on the same tree (by mtime and by data within the finest archive)', async () => {
    // carbon-stale reads the real clock: the tree is planted relative to it.
    const now = Math.floor(Date.now() / 1000);
    const root = await plantTree(now);
    for (const hours of [1, 4, 6, 11]) {
      expect([hours, await stale(root, ['--older-than', `${hours}h`])]).toEqual([hours, carbonStale(root, hours, false)]);
      expect([hours, await stale(root, ['--older-than', `${hours}h`, '--by', 'data'])]).toEqual([hours, carbonStale(root, hours, true)]);
    }
    // Past the finest archive: carbonate reads the 1h archive, which the sparse metric never reached.
    const theirs = carbonStale(root, 24, true)!;
    const ours = await stale(root, ['--older-than', '24h', '--by', 'data']);
    expect(theirs).toContain('sparse.cpu');
    expect(ours).not.toContain('sparse.cpu');
    expect(theirs.filter((n) => n !== 'sparse.cpu')).toEqual(ours);
  });
});
