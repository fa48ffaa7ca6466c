// create (bytes equal to whisper-created fixtures), retention parsing and validation, update and
// update_many semantics from whisper-spec.md §5, verify on every fixture, time parsing.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { create } from '../src/whisper/create.js';
import { WhisperError, WhisperUsageError } from '../src/whisper/errors.js';
import { fetch } from '../src/whisper/fetch.js';
import { info } from '../src/whisper/info.js';
import { parseRetentionDef, parseRetentions, validateArchiveList } from '../src/whisper/retention.js';
import { nowSeconds as clockNow, parseTime } from '../src/clock.js';
import { UsageError } from '../src/errors.js';
import { update, updateMany } from '../src/whisper/update.js';
import { verifyWhisper } from '../src/whisper/verify.js';
import { NOW, fixturePath, manifest, scratchDir, sha256, slotsOfFile } from './whisper/vectors.js';
import { caught } from './helpers/thrown.js';

describe('retention definitions (whisper.parseRetentionDef)', () => {
  it.each([
    ['60:1440', [60, 1440]],
    ['1h:7d', [3600, 168]],
    ['10s:6h', [10, 2160]],
    ['1m:7d', [60, 10080]],
    ['10min:5y', [600, 262800]],
    ['1s:10m', [1, 600]],
    ['10m:30d', [600, 4320]],
    ['7:1', [7, 1]],
    ['1w:104w', [604800, 104]],
    ['1d:10m', [86400, 0]],
  ])('%s', (def, want) => expect(parseRetentionDef(def)).toEqual(want));

  it.each(['10s', 'x:1', '10s:5q', '10S:1h', ':1', '10s:'])('rejects %s', (def) => {
    expect(caught(() => parseRetentionDef(def))).toBeInstanceOf(WhisperUsageError);
  });

  it('splits comma lists and space-separated arguments', () => {
    expect(parseRetentions(['10s:6h,1m:7d', '10m:5y'])).toEqual([
      [10, 2160],
      [60, 10080],
      [600, 262800],
    ]);
  });
});

describe('archive list validation (whisper.validateArchiveList)', () => {
  it('sorts by precision', () => {
    expect(
      validateArchiveList([
        [60, 1440],
        [10, 360],
      ]),
    ).toEqual([
      [10, 360],
      [60, 1440],
    ]);
  });
  it.each([
    ['empty', []],
    [
      'same precision',
      [
        [60, 10],
        [60, 20],
      ],
    ],
    [
      'precision does not divide',
      [
        [10, 100],
        [15, 1000],
      ],
    ],
    [
      'retention does not grow',
      [
        [10, 600],
        [60, 100],
      ],
    ],
    [
      'too few points to consolidate',
      [
        [10, 5],
        [60, 100],
      ],
    ],
    ['zero points', [[60, 0]]],
  ] as [string, [number, number][]][])('%s', (_name, list) => {
    const err = caught(() => validateArchiveList(list));
    expect(err).toBeInstanceOf(WhisperUsageError);
    expect((err as WhisperUsageError).code).toBe('InvalidConfiguration');
  });
});

describe('create', () => {
  // Fixtures created by whisper.create and never written: our bytes must be identical.
  const empties = manifest.fixtures.filter((f) => f.name.endsWith('_empty') || f.name === 'X_empty_xff01');
  it.each(empties.map((f) => [f.name, f] as const))('%s byte-identical', (_name, f) => {
    for (const sparse of [false, true]) {
      const dir = scratchDir();
      const path = join(dir, 'new.wsp');
      const res = create(path, parseRetentions([f.layout!]), {
        aggregationMethod: f.aggregationMethod!,
        xFilesFactor: f.xFilesFactor!,
        sparse,
      });
      expect(sha256(readFileSync(path))).toBe(sha256(readFileSync(fixturePath(f.name))));
      expect(res.size).toBe(statSync(path).size);
      expect(readdirSync(dir)).toEqual(['new.wsp']); // no temporary file left behind
    }
  });

  it('stores every aggregation method and xff as float32', () => {
    const dir = scratchDir();
    for (const m of ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin']) {
      const path = join(dir, `${m}.wsp`);
      create(path, [[60, 60]], { aggregationMethod: m, xFilesFactor: 0.1 });
      const got = info(path);
      expect(got.aggregationMethod).toBe(m);
      expect(got.xFilesFactor).toBe(0.10000000149011612);
      expect(verifyWhisper(path).ok).toBe(true);
    }
  });

  it('refuses an existing file and leaves it alone', () => {
    const dir = scratchDir();
    const path = join(dir, 'x.wsp');
    writeFileSync(path, 'keep me');
    const err = caught(() => create(path, [[60, 60]]));
    expect((err as WhisperError).code).toBe('Exists');
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it.each([
    ['unknown method', { aggregationMethod: 'median' }],
    ['xff above 1', { xFilesFactor: 1.5 }],
    ['xff NaN', { xFilesFactor: NaN }],
  ])('refuses %s without creating anything', (_n, opts) => {
    const dir = scratchDir();
    expect(caught(() => create(join(dir, 'x.wsp'), [[60, 60]], opts))).toBeInstanceOf(WhisperUsageError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** A fresh file of layout 10s:2m (12 points), 60s:10m (10 points), created for update tests. */
function small(xff = 0.5, method = 'average'): string {
  const path = join(scratchDir(), 'u.wsp');
  create(
    path,
    [
      [10, 12],
      [60, 10],
    ],
    { xFilesFactor: xff, aggregationMethod: method },
  );
  return path;
}

describe('update_many and update (whisper-spec.md §5)', () => {
  const now = 1700000007; // not a multiple of any step
  const minute = 1699999920; // an aligned minute in the 10s archive's window

  it('writes points at their aligned slots and propagates the average when xff is met', async () => {
    const path = small();
    const pts: [number, number][] = [0, 1, 2, 3, 4, 5].map((k) => [minute + k * 10 + 3, k + 1]);
    await updateMany(path, pts, { now });
    const fine = fetch(path, minute - 1, minute + 59, { now, archiveToSelect: 10 })!;
    expect(fine.start).toBe(minute);
    expect(fine.values.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    const coarse = fetch(path, minute - 60, minute, { now, archiveToSelect: 60 })!;
    expect(coarse.start).toBe(minute);
    expect(coarse.values[0]).toBe((1 + 2 + 3 + 4 + 5 + 6) / 6);
    expect(verifyWhisper(path).ok).toBe(true);
  });

  it('does not propagate below xFilesFactor (float32 0.1 is above 1/10)', async () => {
    // 10s:1m and 1s:10s would need 10 points per bucket; use 1s:20 and 10s:10 for a k-of-10 bucket.
    const path = join(scratchDir(), 'x.wsp');
    create(
      path,
      [
        [1, 20],
        [10, 10],
      ],
      { xFilesFactor: 0.1 },
    );
    const t0 = 1699999990;
    await updateMany(path, [[t0 + 3, 7]], { now: t0 + 17 });
    const coarse = fetch(path, t0 - 10, t0, { now: t0 + 17, archiveToSelect: 10 })!;
    expect(coarse.values[0]).toBeNull();
    await updateMany(path, [[t0 + 4, 9]], { now: t0 + 17 });
    const again = fetch(path, t0 - 10, t0, { now: t0 + 17, archiveToSelect: 10 })!;
    expect(again.values[0]).toBe(8);
  });

  it('keeps the greatest raw timestamp per interval, then the first of equal timestamps', async () => {
    const path = small();
    await updateMany(
      path,
      [
        [minute + 5, 1],
        [minute + 5, 2],
        [minute + 1, 3],
        [minute + 12, 10],
        [minute + 12, 20],
      ],
      { now },
    );
    const r = fetch(path, minute - 1, minute + 19, { now, archiveToSelect: 10 })!;
    expect(r.values.slice(0, 2)).toEqual([1, 10]);
  });

  it('accepts future points into the first archive and drops points older than the last archive', async () => {
    const path = small();
    await updateMany(
      path,
      [
        [now + 30, 5],
        [now - 100000, 6],
      ],
      { now },
    );
    const slots = slotsOfFile(readFileSync(path));
    expect([...slots[0]!.entries()]).toEqual([[now + 30 - ((now + 30) % 10), 5]]);
    expect(slots[1]!.size).toBe(0);
  });

  it('update() refuses future and too-old timestamps', async () => {
    const path = small();
    const before = readFileSync(path);
    for (const t of [now + 1, now - 600]) {
      const err = await update(path, 1, t, { now }).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as WhisperError).code).toBe('TimestampNotCovered');
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    await update(path, 4.5, now - 30, { now });
    const r = fetch(path, now - 40, now - 30, { now })!;
    expect(r.values).toEqual([4.5]);
  });

  it('aggregates with Python max semantics: first of equal absolute values wins (absmax)', async () => {
    const path = small(0, 'absmax');
    await updateMany(
      path,
      [
        [minute, -3],
        [minute + 10, 3],
      ],
      { now },
    );
    const r = fetch(path, minute - 60, minute, { now, archiveToSelect: 60 })!;
    expect(r.values[0]).toBe(-3);
  });
});

describe('verify', () => {
  it.each(manifest.fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const r = verifyWhisper(fixturePath(f.name));
    expect(r.ok).toBe(!f.corrupt);
    if (f.corrupt) {
      expect(r.error).toBeTruthy();
      expect(['CorruptHeader', 'Truncated', 'Corrupt', 'NoArchives']).toContain(r.code);
    }
  });

  it('reports a missing file', () => {
    const r = verifyWhisper(join(scratchDir(), 'nope.wsp'));
    expect(r).toMatchObject({ ok: false, code: 'Missing' });
  });

  it('finds a slot whose timestamp does not match its ring position', () => {
    const path = small();
    const buf = readFileSync(path);
    const off = buf.readUInt32BE(16);
    buf.writeUInt32BE(1699999920, off); // slot 0
    buf.writeUInt32BE(1699999920 + 30, off + 12); // slot 1 should hold +10
    writeFileSync(path, buf);
    const r = verifyWhisper(path);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ring position/);
  });
});

describe('time arguments', () => {
  const now = NOW;
  it.each([
    ['1700000000', 1700000000],
    ['1700000000.9', 1700000000],
    ['now', now],
    ['-7d', now - 7 * 86400],
    ['now-2h', now - 7200],
    ['now+30m', now + 1800],
    ['-90', now - 90],
    ['-1w', now - 604800],
    ['2023-11-14T22:13:27Z', 1700000007],
    ['2023-11-14T22:13:27', 1700000007],
    ['2023-11-14 22:13:27', 1700000007],
    ['2023-11-14T23:13:27+01:00', 1700000007],
    ['2023-11-14', 1699920000],
  ])('%s', (text, want) => expect(parseTime(text, now)).toBe(want));

  it.each(['yesterday', '-7q', '2023-13-45', ''])('rejects %j', (text) => {
    const err = caught(() => parseTime(text, now, '--from'));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`--from ${JSON.stringify(text)} is not a time`);
  });

  it('RINGSHIFT_NOW pins the clock', () => {
    expect(clockNow({ RINGSHIFT_NOW: '1700000007' })).toBe(1700000007);
    expect(caught(() => clockNow({ RINGSHIFT_NOW: 'soon' }))).toBeInstanceOf(UsageError);
    expect(Math.abs(clockNow({}) - Date.now() / 1000)).toBeLessThan(5);
  });
});
