// The backfill's windowed fill against the whisper engine's fill_gaps restricted to the same window:
// byte-identical results on random pairs (gappy sources and destinations, wrapped rings, empty
// archives, stale slots), while reading only the window's slots.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { windowedFill } from '../src/apply/windowed-fill.js';
import { mulberry32 } from '../src/seeded-random.js';
import { create } from '../src/whisper/create.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { updateMany, type Point } from '../src/whisper/update.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-wfill-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = 1_700_000_000;
const LAYOUT: [number, number][] = [
  [10, 360], // 10s:1h
  [60, 1440], // 1m:1d
  [600, 1008], // 10m:7d
];

async function randomFile(path: string, rnd: () => number, writes: number, now: number, gapEvery: number): Promise<void> {
  create(path, LAYOUT, { sparse: true });
  // Points written in several passes at increasing clocks, so rings wrap and old slots go stale.
  for (let pass = 0; pass < 3; pass++) {
    const clock = now - (2 - pass) * 1800;
    const pts: Point[] = [];
    for (let i = 0; i < writes; i++) {
      const t = clock - Math.floor(rnd() * 3 * 3600);
      if (Math.floor(t / 10) % gapEvery === 0) continue;
      pts.push([t, Math.round(rnd() * 1e6) / 100]);
    }
    await updateMany(path, pts, { now: clock, lock: false, sync: false });
  }
}

describe('windowed fill', () => {
  it('writes exactly what fillGaps(from, until) writes, for 40 random pairs and windows', async () => {
    const rnd = mulberry32(11);
    for (let i = 0; i < 40; i++) {
      const src = join(dir, `s${i}.wsp`);
      const a = join(dir, `a${i}.wsp`);
      const b = join(dir, `b${i}.wsp`);
      await randomFile(src, rnd, 300 + Math.floor(rnd() * 300), NOW, 2 + Math.floor(rnd() * 5));
      if (i % 7 === 0) create(a, LAYOUT, { sparse: true });
      else await randomFile(a, rnd, 100 + Math.floor(rnd() * 300), NOW, 2 + Math.floor(rnd() * 5));
      fs.copyFileSync(a, b);
      const from = NOW - Math.floor(rnd() * 5 * 3600);
      const until = from + 600 + Math.floor(rnd() * 3 * 3600);
      const engine = await fillGaps(src, a, { now: NOW, from, until });
      const win = await windowedFill(src, b, { now: NOW, from, until });
      expect(win.engine).toBe(false);
      expect(win.filled).toBe(engine.total);
      expect(fs.readFileSync(b).equals(fs.readFileSync(a)), `pair ${i} window ${from}..${until}`).toBe(true);
      // Only the window's slots (and the headers and bases) were read: far less than the two files.
      expect(win.bytesRead).toBeLessThan(fs.statSync(src).size);
    }
  });

  it('falls back to the engine for a layout without an equal-step source archive', async () => {
    const src = join(dir, 'coarse-src.wsp');
    const dst = join(dir, 'coarse-dst.wsp');
    create(src, [
      [5, 720],
      [60, 1440],
    ]);
    await updateMany(
      src,
      Array.from({ length: 100 }, (_, k) => [NOW - k * 5, k] as Point),
      { now: NOW, lock: false, sync: false },
    );
    create(dst, LAYOUT);
    const copy = join(dir, 'coarse-copy.wsp');
    fs.copyFileSync(dst, copy);
    const win = await windowedFill(src, dst, { now: NOW, from: NOW - 3600, until: NOW });
    expect(win.engine).toBe(true);
    const engine = await fillGaps(src, copy, { now: NOW, from: NOW - 3600, until: NOW });
    expect(win.filled).toBe(engine.total);
    expect(fs.readFileSync(dst).equals(fs.readFileSync(copy))).toBe(true);
  });
});
