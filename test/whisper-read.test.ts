// info() and fetch() against every fixture and every fetch window of the whisper vectors.
import { describe, expect, it } from 'vitest';
import { WhisperError, WhisperUsageError } from '../src/whisper/errors.js';
import { fetch } from '../src/whisper/fetch.js';
import { info } from '../src/whisper/info.js';
import { decode, fixturePath, loadSingle, manifest, sameValues, type FetchCase, type SingleExpected } from './whisper/vectors.js';
import { vectorJson } from './helpers/test-vectors.js';
import { caught } from './helpers/thrown.js';

const index = vectorJson<{ singles: string[] }>('whisper/expected/index.json');
const singles: SingleExpected[] = index.singles.map((p) => loadSingle(p.replace(/^.*\//, '').replace(/\.json$/, '')));

describe('info() matches whisper.info for every fixture', () => {
  it('covers every fixture of the manifest', () =>
    expect(singles.map((s) => s.name).sort()).toEqual(manifest.fixtures.map((f) => f.name).sort()));

  it.each(singles.map((s) => [s.name, s] as const))('%s', (_name, single) => {
    const path = fixturePath(single.name);
    const want = single.state.info as Record<string, unknown>;
    if ('error' in want) {
      const err = caught(() => info(path));
      expect(err).toBeInstanceOf(WhisperError);
      expect((err as WhisperError).code).toBe('CorruptHeader');
      // whisper's message is "<what> (<file>)"; ours starts with the same <what> and names the file.
      const what = (want.message as string).replace(/ \(<file>\)$/, '');
      expect((err as WhisperError).message.startsWith(what)).toBe(true);
      expect((err as WhisperError).file).toBe(path);
      return;
    }
    const got = info(path);
    expect(got.fileSize).toBe(single.state.size);
    const { fileSize: _size, ...rest } = got;
    expect(rest).toEqual(want);
  });
});

/** What our fetch must do for one vector window. */
function expectation(single: SingleExpected, c: FetchCase): { kind: 'value' | 'null' } | { kind: 'error'; code: string; message?: string } {
  const r = c.result;
  if (r === null) return { kind: 'null' };
  if ('error' in r) {
    switch (r.error) {
      case 'InvalidTimeInterval':
        return { kind: 'error', code: 'InvalidTimeInterval', message: r.message };
      case 'ValueError':
        return { kind: 'error', code: 'InvalidGranularity', message: r.message };
      case 'UnboundLocalError':
        return { kind: 'error', code: 'NoArchives' };
      case 'CorruptWhisperFile':
        return { kind: 'error', code: /header|metadata/.test(r.message) ? 'CorruptHeader' : 'Truncated' };
      default:
        throw new Error(`unexpected error kind ${r.error}`);
    }
  }
  // whisper returned values; from a truncated archive that is a silent short read, which we refuse.
  const archive = single.state.archives!.find((a) => a.secondsPerPoint === r.step)!;
  if (archive.present_slots < archive.points) return { kind: 'error', code: 'Truncated' };
  return { kind: 'value' };
}

const cases = singles.flatMap((s) => s.fetch.map((c) => [`${s.name} ${c.id}`, s, c] as const));

describe('fetch() matches whisper.fetch for every window (truncated archives refused)', () => {
  it('covers every window', () => {
    expect(cases.length).toBe(singles.reduce((n, s) => n + s.fetch.length, 0));
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (_label, single, c) => {
    const path = fixturePath(single.name);
    const opts = { now: single.now, archiveToSelect: c.archiveToSelect ?? undefined };
    const want = expectation(single, c);
    const run = () => fetch(path, c.from, c.until ?? undefined, opts);
    if (want.kind === 'error') {
      const err = caught(run);
      expect(err instanceof WhisperError || err instanceof WhisperUsageError).toBe(true);
      expect((err as WhisperError).code).toBe(want.code);
      if (want.message) expect((err as WhisperError).message).toBe(want.message);
      return;
    }
    const got = run();
    if (want.kind === 'null') {
      expect(got).toBeNull();
      return;
    }
    const r = c.result as { start: number; end: number; step: number; values: (number | 'NaN' | 'Infinity' | '-Infinity' | null)[] };
    expect(got).not.toBeNull();
    expect([got!.start, got!.end, got!.step]).toEqual([r.start, r.end, r.step]);
    const wantValues = r.values.map((v) => (v === null ? null : decode(v)));
    expect(sameValues(got!.values, wantValues)).toBe(true);
  });
});
