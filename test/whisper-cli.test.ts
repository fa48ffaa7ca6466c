// The `ringshift whisper …` commands, run in-process with RINGSHIFT_NOW pinned to the vectors' now:
// human and --json output, exit codes (1 data, 2 usage), results equal to the vectors.
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Create from '../commands/whisper/create.js';
import Dump from '../commands/whisper/dump.js';
import Fetch from '../commands/whisper/fetch.js';
import Fill from '../commands/whisper/fill.js';
import Info from '../commands/whisper/info.js';
import Merge from '../commands/whisper/merge.js';
import Verify from '../commands/whisper/verify.js';
import { runCli } from './whisper/cli.js';
import {
  copyFixture,
  decode,
  diffSlots,
  fixturePath,
  loadPair,
  loadSingle,
  sameValues,
  scratchDir,
  sha256,
  sha256NanCanonical,
  slotsFromRuns,
  slotsOfFile,
  type JsonValue,
  PUBLIC_SET,
  manifest,
} from './whisper/vectors.js';

describe.runIf(PUBLIC_SET)('whisper info', () => {
  it('prints whisper.info fields as JSON', async () => {
    const r = await runCli(Info, [fixturePath('B_gappy_a'), '--json']);
    expect(r.exitCode).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.fileSize).toBe(9988);
    delete got.fileSize;
    expect(got).toEqual(loadSingle('B_gappy_a').state.info);
  });

  it('prints a readable header', async () => {
    const r = await runCli(Info, [fixturePath('X_xff01_k1')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('xFilesFactor: 0.10000000149011612');
    expect(r.stdout).toContain('Archive 1 (10s:1h)');
  });

  it('exit 1 naming the file for an unreadable header', async () => {
    const r = await runCli(Info, [fixturePath('bad_agg_type')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^ringshift: error: .*bad_agg_type\.wsp: Unable to read header/);
    expect(r.stdout).toBe('');
  });

  it('prints the header of a truncated file but exits 1', async () => {
    const r = await runCli(Info, [fixturePath('bad_trunc_data'), '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).fileSize).toBe(2661);
    expect(r.stderr).toMatch(/truncated: file has 2661 bytes/);
  });

  it('exit 2 without a file', async () => {
    expect((await runCli(Info, [])).exitCode).toBe(2);
  });
});

describe.runIf(PUBLIC_SET)('whisper fetch', () => {
  const single = PUBLIC_SET ? loadSingle('B_gappy_a') : null;
  const windows = (single?.fetch ?? []).filter((c) => c.result !== null && !('error' in c.result));
  it.each(windows.map((c) => [c.id, c] as const))('--json window %s', async (_id, c) => {
    const argv = [fixturePath('B_gappy_a'), `--from=${c.from}`, '--json'];
    if (c.until !== null) argv.push(`--until=${c.until}`);
    if (c.archiveToSelect !== null) argv.push(`--archive=${c.archiveToSelect}`);
    const r = await runCli(Fetch, argv);
    expect(r.exitCode).toBe(0);
    const got = JSON.parse(r.stdout);
    const want = c.result as { start: number; end: number; step: number; values: (JsonValue | null)[] };
    expect([got.start, got.end, got.step]).toEqual([want.start, want.end, want.step]);
    const dec = (v: JsonValue | null) => (v === null ? null : decode(v));
    expect(sameValues(got.values.map(dec), want.values.map(dec))).toBe(true);
  });

  it('prints timestamp<TAB>value lines, None for missing; relative --from', async () => {
    const r = await runCli(Fetch, [fixturePath('B_gappy_a'), '--from=-1m']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(6);
    expect(lines[0]).toMatch(/^1699999950\t[0-9.]+$/);
  });

  it('JSON null for a range entirely in the future', async () => {
    const r = await runCli(Fetch, [fixturePath('B_gappy_a'), '--from=now+1h', '--until=now+2h', '--json']);
    expect(r.stdout.trim()).toBe('null');
  });

  it('special values as strings', async () => {
    const r = await runCli(Fetch, [fixturePath('C_special_avg'), '--from=-10m', '--json']);
    const values = JSON.parse(r.stdout).values as unknown[];
    expect(values).toContain('NaN');
    expect(values).toContain('Infinity');
  });

  it.each([
    [['--from=yesterday'], 2],
    [['--from=-1h', '--until=-2h'], 2],
    [['--archive=7'], 2],
  ])('%j exits %i', async (flags, code) => {
    const r = await runCli(Fetch, [fixturePath('B_gappy_a'), ...flags]);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(/^ringshift: error: /);
  });

  it.each(manifest.fixtures.filter((f) => f.corrupt).map((f) => [f.name]))(
    'corrupt %s with an inverted window: the corruption, exit 1 (the header is read first)',
    async (name) => {
      const r = await runCli(Fetch, [fixturePath(name), '--from=-1h', '--until=-2h']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^ringshift: error: .*${name}\\.wsp: `));
      expect(r.stderr).not.toMatch(/Invalid time interval/);
    },
  );

  it('a sound file with an inverted window: usage error, exit 2', async () => {
    const r = await runCli(Fetch, [fixturePath('B_dense'), '--from=-1h', '--until=-2h']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Invalid time interval/);
  });

  it('exit 1 for a truncated archive (whisper would return fewer values)', async () => {
    const r = await runCli(Fetch, [fixturePath('bad_trunc_data'), '--from=-1h']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
  });
});

describe.runIf(PUBLIC_SET)('whisper dump', () => {
  it('--json holds every slot of every archive', async () => {
    const r = await runCli(Dump, [fixturePath('C_special_max'), '--json']);
    expect(r.exitCode).toBe(0);
    const [head, ...archives] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const bytes = readFileSync(fixturePath('C_special_max'));
    const slots = slotsOfFile(bytes);
    expect(head.archiveCount).toBe(3);
    expect(archives.length).toBe(3);
    archives.forEach((a: { points: number; slots: [number, JsonValue][] }, i: number) => {
      expect(a.slots.length).toBe(a.points);
      const m = new Map(a.slots.filter(([t]) => t !== 0).map(([t, v]) => [t, decode(v)] as const));
      expect(diffSlots(m, slots[i]!)).toBe('');
    });
  });

  it('text form like whisper-dump', async () => {
    const r = await runCli(Dump, [fixturePath('D_zeros_dst')]);
    expect(r.stdout).toMatch(/^Meta data:\n {2}aggregation method: average\n/);
    expect(r.stdout).toContain('Archive 1 data:\n0: ');
    // 5 header lines, 7 per archive info, one "data:" line per archive, then every slot.
    expect(r.stdout.trimEnd().split('\n').length).toBe(5 + 2 * 7 + 2 + 60 + 288);
  });
});

describe.runIf(PUBLIC_SET)('whisper create', () => {
  it('creates the same bytes as whisper.create', async () => {
    const dir = scratchDir();
    const path = join(dir, 'new.wsp');
    const r = await runCli(Create, [path, '10s:30m', '1m:6h,10m:2d', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).layout).toBe('10s:30m,1m:6h,10m:2d');
    expect(sha256(readFileSync(path))).toBe(sha256(readFileSync(fixturePath('B_empty'))));
  });

  it('xff, aggregation, sparse', async () => {
    const dir = scratchDir();
    const path = join(dir, 'x.wsp');
    const r = await runCli(Create, [path, '1s:10m', '10s:1h', '--xff', '0.1', '--sparse']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^created .*x\.wsp: 1s:10m,10s:1h, average, xFilesFactor 0\.10000000149011612, 11560 bytes \(sparse\)/);
    expect(sha256(readFileSync(path))).toBe(sha256(readFileSync(fixturePath('X_empty_xff01'))));
  });

  it.each([
    [['10s:6h', '15s:7d'], 2],
    [['10s:6h', '--xff', '2'], 2],
    [['10s:6h', '--aggregation', 'median'], 2],
    [['6h'], 2],
    [[], 2],
  ])('%j exits %i and creates nothing', async (rest, code) => {
    const dir = scratchDir();
    const r = await runCli(Create, [join(dir, 'x.wsp'), ...rest]);
    expect(r.exitCode).toBe(code);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an existing file (exit 1)', async () => {
    const dir = scratchDir();
    const path = copyFixture('B_dense', dir, 'x.wsp');
    const r = await runCli(Create, [path, '10s:6h']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
    expect(sha256(readFileSync(path))).toBe(sha256(readFileSync(fixturePath('B_dense'))));
  });
});

describe.runIf(PUBLIC_SET)('whisper fill', () => {
  it('gap-only fill: the vectors result, report per archive', async () => {
    const want = loadPair('B_dense_into_gappy').ops.find((o) => o.id === 'fill_gaps')!;
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const r = await runCli(Fill, [fixturePath('B_dense'), dst, '--json']);
    expect(r.exitCode).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.mode).toBe('gaps');
    expect(rep.changed).toBe(true);
    expect(rep.archives.map((a: { filled: number }) => a.filled).reduce((x: number, y: number) => x + y)).toBe(rep.total);
    expect(sha256NanCanonical(readFileSync(dst))).toBe(want.state.sha256_nan_canonical);
    const again = await runCli(Fill, [fixturePath('B_dense'), dst]);
    expect(again.stdout).toMatch(/unchanged/);
  });

  it('--from/--until window = fill_gaps_window', async () => {
    const want = loadPair('B_dense_into_gappy').ops.find((o) => o.id === 'fill_gaps_window')!;
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const r = await runCli(Fill, [fixturePath('B_dense'), dst, `--from=${want.args.window_from}`, `--until=${want.args.window_until}`]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/slots filled from/);
    expect(sha256NanCanonical(readFileSync(dst))).toBe(want.state.sha256_nan_canonical);
  });

  it('--dry-run writes nothing', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const r = await runCli(Fill, [fixturePath('B_dense'), dst, '--dry-run', '--no-lock']);
    expect(r.stdout).toMatch(/would be filled .*dry run/);
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });

  it('--compat carbonate matches carbonate fill_window and --overwrite', async () => {
    const pair = loadPair('B_dense_into_gappy');
    for (const [id, flags] of [
      ['fill_window', ['--from=1699989207', '--until=1699999407']],
      ['fill_overwrite', ['--overwrite']],
    ] as const) {
      const want = pair.ops.find((o) => o.id === id)!;
      const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
      const r = await runCli(Fill, [fixturePath('B_dense'), dst, '--compat', 'carbonate', ...flags]);
      expect(r.exitCode).toBe(0);
      const got = slotsOfFile(readFileSync(dst));
      want.state.archives!.forEach((a, i) => expect(diffSlots(got[i]!, slotsFromRuns(a))).toBe(''));
    }
  });

  it.each([
    ['bad_trunc_data', 1, /destination is corrupt: truncated/],
    ['bad_zero_bytes', 1, /destination is corrupt: Unable to read header/],
  ])('refuses a corrupt destination %s, unchanged', async (name, code, msg) => {
    const dst = copyFixture(name, scratchDir(), 'dst.wsp');
    const r = await runCli(Fill, [fixturePath('B_dense'), dst]);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(msg);
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath(name))));
  });

  it('usage errors exit 2 and write nothing', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    for (const flags of [['--overwrite'], ['--from=-1h', '--until=-2h'], ['--from', 'soon'], ['--compat', 'bucky']]) {
      const r = await runCli(Fill, [fixturePath('B_dense'), dst, ...flags]);
      expect(r.exitCode).toBe(2);
    }
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });

  it('every refusal names both files, an inverted --from/--until too', async () => {
    const dir = scratchDir();
    const dst = copyFixture('B_gappy_a', dir, 'dst.wsp');
    const src = fixturePath('B_dense');
    const cases: [string[], number][] = [
      [[src, dst, '--from=-1h', '--until=-2h'], 2],
      [[src, dst, '--from=-1h', '--until=-2h', '--compat', 'carbonate'], 2],
      [[src, join(dir, 'nope.wsp')], 1],
      [[join(dir, 'nope.wsp'), dst], 1],
      [[dst, dst], 1],
      [[fixturePath('bad_trunc_data'), dst], 1],
    ];
    for (const [argv, code] of cases) {
      const r = await runCli(Fill, argv);
      expect(r.exitCode).toBe(code);
      expect(r.stderr).toBe(`ringshift: error: ${argv[0]} -> ${argv[1]}: ${r.stderr.replace(/^.* -> [^:]*: /, '')}`);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });

  it('missing destination exit 1', async () => {
    const dir = scratchDir();
    const r = await runCli(Fill, [fixturePath('B_dense'), join(dir, 'nope.wsp')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/destination does not exist/);
    expect(existsSync(join(dir, 'nope.wsp'))).toBe(false);
  });
});

describe.runIf(PUBLIC_SET)('whisper merge', () => {
  it('matches whisper-merge with a window', async () => {
    const want = loadPair('B_dense_into_gappy').ops.find((o) => o.id === 'merge_window')!;
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const r = await runCli(Merge, [fixturePath('B_dense'), dst, '--from=1699989207', '--until=1699999407', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).mode).toBe('merge');
    const got = slotsOfFile(readFileSync(dst));
    want.state.archives!.forEach((a, i) => expect(diffSlots(got[i]!, slotsFromRuns(a))).toBe(''));
  });

  it('refuses different layouts (exit 1, unchanged)', async () => {
    const dst = copyFixture('B_gappy_a', scratchDir(), 'dst.wsp');
    const r = await runCli(Merge, [fixturePath('A_dense'), dst]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/archive configurations are unalike/);
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
  });
});

describe.runIf(PUBLIC_SET)('whisper verify', () => {
  it('one line per file, exit 1 when any is corrupt', async () => {
    const files = ['B_dense', 'bad_trunc_aligned', 'R_gappy_a', 'bad_garbage'].map(fixturePath);
    const r = await runCli(Verify, files);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['ok', 'CORRUPT', 'ok', 'CORRUPT']);
    expect(lines[1]).toMatch(/bad_trunc_aligned\.wsp: truncated: .*on a point boundary/);
  });

  it('--json lines, exit 0 when all are sound', async () => {
    const r = await runCli(Verify, [fixturePath('B_dense'), fixturePath('E_gappy'), '--json']);
    expect(r.exitCode).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.ok)).toEqual([true, true]);
    expect(rows[1].layout).toBe('1s:1h,1m:1d,1h:30d');
  });

  it('a directory: every *.wsp under it, sorted, symlinks not followed, odd names included', async () => {
    const dir = scratchDir();
    const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'a/b c'), { recursive: true });
    mkdirSync(join(dir, 'z'));
    copyFixture('B_dense', join(dir, 'a'), 'one.wsp');
    copyFixture('bad_trunc_data', join(dir, 'a/b c'), 'two $(x).wsp');
    copyFixture('E_gappy', dir, 'top.wsp');
    writeFileSync(join(dir, 'a/notes.txt'), 'not whisper');
    writeFileSync(join(dir, 'z/empty.wsp'), '');
    const odd = Buffer.concat([Buffer.from(join(dir, 'z') + '/'), Buffer.from([0x6e, 0xe9, 0xff]), Buffer.from('.wsp')]);
    copyFileSync(fixturePath('R_dense'), odd);
    symlinkSync(join(dir, 'a'), join(dir, 'z/link'));
    symlinkSync(join(dir, 'top.wsp'), join(dir, 'z/linked.wsp'));
    const r = await runCli(Verify, [dir]);
    expect(r.exitCode).toBe(1);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/(\.wsp)[: ].*$/, '$1')),
    ).toEqual([
      `ok       ${dir}/top.wsp`,
      `ok       ${dir}/a/one.wsp`,
      `CORRUPT  ${dir}/a/b c/two $(x).wsp`,
      `CORRUPT  ${dir}/z/empty.wsp`,
      `ok       ${dir}/z/n\\xe9\\xff.wsp`,
    ]);
    expect(r.stderr).toBe('ringshift: 2 of 5 file(s) corrupt or unreadable\n');
  });

  it('a directory with no whisper files: exit 0, a note', async () => {
    const r = await runCli(Verify, [scratchDir()]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/no \*\.wsp files under/);
  });
});
