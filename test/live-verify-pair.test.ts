// The runbook's verify on real whisper files: a point the old holder has and the owner lacks is
// missing (and named by its time); the same time with another value at the owner is superseded, not
// lost; a missing owner file and a vanished source are told apart; `until` bounds what is checked.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPair } from '../src/apply/verify-pair.js';
import { create } from '../src/whisper/create.js';
import { updateMany, type Point } from '../src/whisper/update.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-verify-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const NOW = 1_700_000_000;
const LAYOUT: [number, number][] = [[10, 360]];

async function file(name: string, pts: Point[]): Promise<string> {
  const p = join(dir, name);
  create(p, LAYOUT);
  await updateMany(p, pts, { now: NOW, lock: false, sync: false });
  return p;
}

describe('verifyPair', () => {
  it('counts missing and superseded points, and bounds the check with until', async () => {
    const pts: Point[] = Array.from({ length: 30 }, (_, k) => [NOW - 600 + k * 10, k]);
    const src = await file('src.wsp', pts);
    const whole = await file('whole.wsp', pts);
    expect(await verifyPair(src, whole, NOW)).toEqual({ destMissing: false, points: 30, missing: 0, superseded: 0, firstMissing: null });
    // Two points lacking, one rewritten with another value.
    const holey = await file(
      'holey.wsp',
      pts.filter((_, k) => k !== 7 && k !== 20).map(([t, v], k) => [t, k === 3 ? v + 0.5 : v] as Point),
    );
    const v = (await verifyPair(src, holey, NOW))!;
    expect(v.missing).toBe(2);
    expect(v.firstMissing).toBe(NOW - 600 + 70);
    expect(v.superseded).toBe(1);
    // Only points before `until`: the second hole is after it.
    expect((await verifyPair(src, holey, NOW, NOW - 600 + 150))!.missing).toBe(1);
    expect((await verifyPair(src, join(dir, 'none.wsp'), NOW))!.destMissing).toBe(true);
    expect(await verifyPair(join(dir, 'gone.wsp'), whole, NOW)).toBeNull();
  });
});
