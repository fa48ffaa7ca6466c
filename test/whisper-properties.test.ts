// Properties of the gap-only fill, on the vector pairs and on random files (seeded): it is idempotent,
// filling from a copy of itself changes nothing, no point inside or newer than a window ever changes,
// and every empty slot that src's equal-step archive holds gets exactly src's bytes.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/seeded-random.js';
import { create } from '../src/whisper/create.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { archiveWindow, slotOf } from '../src/whisper/file-format.js';
import { updateMany } from '../src/whisper/update.js';
import { verifyWhisper } from '../src/whisper/verify.js';
import { NOW, copyFixture, fixturePath, isCorruptFixture, loadPair, manifest, scratchDir, sha256 } from './whisper/vectors.js';

interface Arch {
  offset: number;
  step: number;
  points: number;
}

function archivesOf(bytes: Buffer): Arch[] {
  const n = bytes.readUInt32BE(12);
  return Array.from({ length: n }, (_, i) => ({
    offset: bytes.readUInt32BE(16 + i * 12),
    step: bytes.readUInt32BE(20 + i * 12),
    points: bytes.readUInt32BE(24 + i * 12),
  }));
}

/** The 12 bytes of the slot a time maps to, or null when the archive's slot 0 is empty. */
function slotBytes(bytes: Buffer, a: Arch, t: number): Buffer | null {
  const base = bytes.readUInt32BE(a.offset);
  if (base === 0) return null;
  const at = a.offset + slotOf(t, base, a.step, a.points) * 12;
  return bytes.subarray(at, at + 12);
}

/** Check the fill's guarantees between `before` and `after` given `src`, at `now`. */
function checkFill(srcBytes: Buffer, before: Buffer, after: Buffer, now: number): void {
  expect(after.length).toBe(before.length);
  const arcs = archivesOf(before);
  expect(after.subarray(0, 16 + 12 * arcs.length).equals(before.subarray(0, 16 + 12 * arcs.length))).toBe(true);
  const srcArcs = archivesOf(srcBytes);
  for (const a of arcs) {
    // Points in or newer than the window are untouched.
    for (let s = 0; s < a.points; s++) {
      const at = a.offset + s * 12;
      const ts = before.readUInt32BE(at);
      const [w0] = archiveWindow({ secondsPerPoint: a.step, retention: a.step * a.points }, now);
      if (ts !== 0 && ts >= w0) expect(after.subarray(at, at + 12).equals(before.subarray(at, at + 12))).toBe(true);
    }
    // Empty window slots that src's equal-step archive holds now carry src's exact bytes.
    const eq = srcArcs.find((x) => x.step === a.step);
    if (!eq) continue;
    const [w0, w1] = archiveWindow({ secondsPerPoint: a.step, retention: a.step * a.points }, now);
    const [e0, e1] = archiveWindow({ secondsPerPoint: eq.step, retention: eq.step * eq.points }, now);
    for (let t = Math.max(w0, e0); t < Math.min(w1, e1); t += a.step) {
      const had = slotBytes(before, a, t);
      if (had && had.readUInt32BE(0) >= t) continue; // a point (or a future one) was there
      const s = slotBytes(srcBytes, eq, t);
      if (!s || s.readUInt32BE(0) !== t) continue;
      const got = slotBytes(after, a, t)!;
      expect(got.equals(s)).toBe(true);
    }
  }
}

describe('fill_gaps properties on the vector pairs', () => {
  const okPairs = manifest.pairs.filter((p) => p.dst !== null && !isCorruptFixture(p.dst) && !isCorruptFixture(p.src));

  it.each(okPairs.map((p) => [p.name, p] as const))('%s: guarantees hold and a second run writes nothing', async (_n, pair) => {
    expect(loadPair(pair.name).ops.find((o) => o.op === 'fill_gaps')!.outcome).toBe('ok');
    const dir = scratchDir();
    const dst = copyFixture(pair.dst!, dir, 'dst.wsp');
    const before = readFileSync(dst);
    await fillGaps(fixturePath(pair.src), dst, { now: NOW });
    const after = readFileSync(dst);
    checkFill(readFileSync(fixturePath(pair.src)), before, after, NOW);
    const again = await fillGaps(fixturePath(pair.src), dst, { now: NOW });
    expect(again.total).toBe(0);
    expect(again.changed).toBe(false);
    expect(sha256(readFileSync(dst))).toBe(sha256(after));
  });

  const sound = manifest.fixtures.filter((f) => !f.corrupt);
  it.each(sound.map((f) => [f.name] as const))('%s: filling from a copy of itself changes nothing', async (name) => {
    const dir = scratchDir();
    const dst = copyFixture(name, dir, 'self.wsp');
    const before = sha256(readFileSync(dst));
    const r = await fillGaps(fixturePath(name), dst, { now: NOW });
    expect(r.total).toBe(0);
    expect(sha256(readFileSync(dst))).toBe(before);
  });
});

function randomLayout(rnd: () => number): [number, number][] {
  const n = 1 + Math.floor(rnd() * 3);
  let step = [1, 5, 10, 60][Math.floor(rnd() * 4)]!;
  const out: [number, number][] = [];
  let prevRetention = 0;
  for (let i = 0; i < n; i++) {
    const nextStep = step * [2, 3, 5, 6, 10][Math.floor(rnd() * 5)]!;
    const minPoints = Math.max(i + 1 < n ? nextStep / step : 1, Math.floor(prevRetention / step) + 1);
    const points = minPoints + Math.floor(rnd() * 120);
    out.push([step, points]);
    prevRetention = step * points;
    step = nextStep;
  }
  return out;
}

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 5e-324];

/** Write random points at three successive clocks (so rings wrap, slots go stale, some are future). */
async function fillRandom(path: string, layout: [number, number][], rnd: () => number, now: number, density: number): Promise<void> {
  const maxRet = Math.max(...layout.map(([s, p]) => s * p));
  const finest = layout[0]![0];
  for (const phaseNow of [now - Math.floor(maxRet * 0.7), now - Math.floor(maxRet * 0.2), now]) {
    const pts: [number, number][] = [];
    for (let t = phaseNow - maxRet + 1; t <= phaseNow + 3 * finest; t += finest) {
      if (rnd() < density) pts.push([t, rnd() < 0.05 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)]! : Math.round(rnd() * 1000) / 10]);
    }
    await updateMany(path, pts, { now: phaseNow, lock: false, sync: false });
  }
}

describe('fill_gaps properties on random files', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => 1000 + i);
  it.each(seeds)('seed %i', async (seed) => {
    const rnd = mulberry32(seed); // seeded so failures can be replayed
    const dir = scratchDir();
    const now = 1700000000 + Math.floor(rnd() * 100000);
    const methods = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'];
    const srcLayout = randomLayout(rnd);
    const dstLayout = rnd() < 0.5 ? srcLayout : randomLayout(rnd);
    const src = join(dir, 'src.wsp');
    const dst = join(dir, 'dst.wsp');
    create(src, srcLayout, { aggregationMethod: methods[Math.floor(rnd() * 8)]!, xFilesFactor: rnd() });
    create(dst, dstLayout, {
      aggregationMethod: methods[Math.floor(rnd() * 8)]!,
      xFilesFactor: [0, 0.1, 0.3, 0.5, 1][Math.floor(rnd() * 5)]!,
    });
    await fillRandom(src, srcLayout, rnd, now, 0.9);
    await fillRandom(dst, dstLayout, rnd, now, 0.4);
    const before = readFileSync(dst);
    const srcBytes = readFileSync(src);

    const r1 = await fillGaps(src, dst, { now, sync: false });
    const after = readFileSync(dst);
    checkFill(srcBytes, before, after, now);
    expect(verifyWhisper(dst).ok).toBe(true);
    expect(r1.changed).toBe(!after.equals(before));

    const r2 = await fillGaps(src, dst, { now, sync: false });
    expect(r2.total).toBe(0);
    expect(readFileSync(dst).equals(after)).toBe(true);

    const copy = join(dir, 'copy.wsp');
    copyFileSync(dst, copy);
    const r3 = await fillGaps(copy, dst, { now, sync: false });
    expect(r3.total).toBe(0);
    expect(readFileSync(dst).equals(after)).toBe(true);

    // A dry run reports what a real run fills, and writes nothing.
    const dstCopy = join(dir, 'dst-before.wsp');
    writeFileSync(dstCopy, before);
    const dry = await fillGaps(src, dstCopy, { now, dryRun: true });
    expect(readFileSync(dstCopy).equals(before)).toBe(true);
    expect(dry.total).toBe(r1.total);
  });
});
