// fill_gaps against every whisper vector pair, byte-exact (NaNs canonicalised), refusals leaving dst unchanged.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WhisperError, WhisperUsageError } from '../src/whisper/errors.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { rejectionOf } from './helpers/thrown.js';
import {
  NOW,
  copyFixture,
  expectDstUnchanged,
  fixturePath,
  loadPair,
  manifest,
  resultBytes,
  sameValue,
  scratchDir,
  sha256NanCanonical,
  slotsOfFile,
} from './whisper/vectors.js';

const cases = manifest.pairs.flatMap((p) => p.ops.filter((o) => o.op === 'fill_gaps').map((o) => [`${p.name} ${o.id}`, p, o] as const));

/** Slots (by archive and byte position) whose 12 bytes differ between two same-layout files. */
function changedSlots(before: Buffer, after: Buffer): number {
  let n = 0;
  const count = before.readUInt32BE(12);
  for (let i = 0; i < count; i++) {
    const offset = before.readUInt32BE(16 + i * 12);
    const points = before.readUInt32BE(16 + i * 12 + 8);
    for (let s = 0; s < points; s++) {
      const at = offset + s * 12;
      if (before.compare(after, at, at + 12, at, at + 12) !== 0) n++;
    }
  }
  return n;
}

describe('fill_gaps matches the vectors byte for byte', () => {
  it('covers every pair', () => {
    // README: fill_gaps runs on every pair (plus window variants).
    expect(new Set(cases.map(([, p]) => p.name)).size).toBe(manifest.pairs.length);
  });

  it.each(cases)('%s', async (_label, pair, op) => {
    const want = loadPair(pair.name).ops.find((o) => o.id === op.id)!;
    const dir = scratchDir();
    const dst = pair.dst === null ? join(dir, 'missing.wsp') : copyFixture(pair.dst, dir, 'dst.wsp');
    const before = existsSync(dst) ? readFileSync(dst) : null;
    const run = () =>
      fillGaps(fixturePath(pair.src), dst, {
        now: NOW,
        from: op.args.window_from as number | undefined,
        until: op.args.window_until as number | undefined,
      });

    if (want.outcome === 'error') {
      const err = await rejectionOf(run());
      expect(err instanceof WhisperError || err instanceof WhisperUsageError).toBe(true);
      expect((err as WhisperError).code).toBe(want.error!.error);
      expect(want.dst_changed).toBe(false);
      expectDstUnchanged(dst, before);
      return;
    }

    const report = await run();
    const after = readFileSync(dst);
    expect(after.length).toBe(want.state.size);
    expect(sha256NanCanonical(after)).toBe(want.state.sha256_nan_canonical);
    if (want.result_file) expect(sha256NanCanonical(after)).toBe(sha256NanCanonical(resultBytes(want.result_file)));
    expect(report.changed).toBe(want.dst_changed);
    expect(report.total).toBe(changedSlots(before!, after));
    // Every point inside or newer than its archive's window is still there, same value (only stale
    // slots, older than the window, may be reused).
    const old = slotsOfFile(before!);
    const now = slotsOfFile(after);
    old.forEach((m, i) => {
      const w0 = want.state.archives![i]!.window[0];
      for (const [t, v] of m) if (t >= w0) expect(sameValue(now[i]!.get(t) ?? null, v)).toBe(true);
    });
  });
});
