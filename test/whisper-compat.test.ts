// carbonate fill (fill, fill_overwrite, fill_window) and whisper-merge (merge, merge_window) against
// every vector pair at the slot level (rotation-independent, README "Comparing": level `slots`).
// Deliberate difference: a corrupt or missing file is refused before anything is written, where the
// upstream tools crash part-way (and sometimes leave dst partly written).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { carbonateFill } from '../src/whisper/compat-carbonate.js';
import { WhisperError } from '../src/whisper/errors.js';
import { merge } from '../src/whisper/merge.js';
import { rejectionOf } from './helpers/thrown.js';
import {
  NOW,
  copyFixture,
  diffSlots,
  expectDstUnchanged,
  fixturePath,
  isCorruptFixture,
  loadPair,
  manifest,
  scratchDir,
  slotsFromRuns,
  slotsOfFile,
} from './whisper/vectors.js';

const cases = manifest.pairs.flatMap((p) =>
  p.ops.filter((o) => o.op === 'fill' || o.op === 'merge').map((o) => [`${p.name} ${o.id}`, p, o] as const),
);

const REFUSAL_CODES = ['DstMissing', 'SrcMissing', 'DstCorrupt', 'SrcCorrupt', 'LayoutMismatch'];

describe('carbonate fill and whisper-merge match upstream slot for slot', () => {
  it('covers every fill and merge op', () => {
    const all = manifest.pairs.flatMap((p) => p.ops).filter((o) => o.op === 'fill' || o.op === 'merge');
    expect(cases.length).toBe(all.length);
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', async (_label, pair, op) => {
    const want = loadPair(pair.name).ops.find((o) => o.id === op.id)!;
    const dir = scratchDir();
    const dst = pair.dst === null ? join(dir, 'missing.wsp') : copyFixture(pair.dst, dir, 'dst.wsp');
    const before = existsSync(dst) ? readFileSync(dst) : null;
    const src = fixturePath(pair.src);
    const run = () =>
      op.op === 'fill'
        ? carbonateFill(src, dst, {
            now: NOW,
            startFrom: op.args.startFrom as number | undefined,
            endAt: op.args.endAt as number | undefined,
            overwrite: op.args.overwrite === true,
          })
        : merge(src, dst, { now: NOW, from: op.args.time_from as number | undefined, until: op.args.time_to as number | undefined });

    const refused = pair.dst === null || isCorruptFixture(pair.dst) || isCorruptFixture(pair.src) || want.outcome === 'error';
    if (refused) {
      const err = await rejectionOf(run());
      expect(err).toBeInstanceOf(WhisperError);
      expect(REFUSAL_CODES).toContain((err as WhisperError).code);
      if (want.outcome === 'error' && want.error!.error === 'NotImplementedError')
        expect((err as WhisperError).code).toBe('LayoutMismatch');
      expectDstUnchanged(dst, before);
      return;
    }

    const report = await run();
    const after = readFileSync(dst);
    expect(after.length).toBe(want.state.size);
    expect(after.subarray(0, 16 + 12 * want.state.archives!.length)).toEqual(before!.subarray(0, 16 + 12 * want.state.archives!.length));
    const got = slotsOfFile(after);
    want.state.archives!.forEach((a, i) => {
      expect(diffSlots(got[i]!, slotsFromRuns(a)), `archive ${i}`).toBe('');
    });
    expect(report.changed).toBe(want.dst_changed);
  });
});
