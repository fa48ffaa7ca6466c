// Every `ringshift whisper` command against whisper's own scripts (python3-whisper's /usr/bin/whisper-*)
// on the same inputs at the same pinned clock: dump/fetch/info text equal line for line, update,
// set-aggregation, set-xff and resize equal byte for byte, diff the same differences. Inputs: the shared
// fixtures (several layouts, every aggregation method, NaN/±inf/-0.0/denormals) and files written here
// by whisper.py itself. Without python3-whisper these tests fail (CI installs it).
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import Dump from '../commands/whisper/dump.js';
import Fetch from '../commands/whisper/fetch.js';
import Info from '../commands/whisper/info.js';
import Update from '../commands/whisper/update.js';
import Diff from '../commands/whisper/diff.js';
import Resize from '../commands/whisper/resize.js';
import SetAggregation from '../commands/whisper/set-aggregation.js';
import SetXff from '../commands/whisper/set-xff.js';
import { pythonSetOrder } from '../src/whisper/python-set-order.js';
import { runCli } from './whisper/cli.js';
import { pad, pyFloatRepr, pyFormatF, pyFormatG } from '../src/whisper/python-float.js';
import { mulberry32 } from '../src/seeded-random.js';
import { PYTHON, requirePythonWhisper, whisperPython, whisperScript } from './whisper/python-whisper.js';
import { spawnSync } from 'node:child_process';
import { NOW, fixturePath, manifest, scratchDir, sha256 } from './whisper/vectors.js';

beforeAll(() => requirePythonWhisper());

const SOUND = manifest.fixtures.filter((f) => !f.corrupt).map((f) => f.name);
/** A spread of layouts and aggregation methods, special values included. */
const SAMPLE = ['B_gappy_a', 'R_gappy_b', 'D_zeros_dst', 'A_unaligned', 'E_gappy', 'C_special_avg', 'C_absmin', 'X_xff01_k1', 'B_empty'];

/** Run a command in-process with TZ set (Node re-reads TZ when it is assigned). */
async function withTz<T>(tz: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('whisper dump = whisper-dump.py', () => {
  it.each(SOUND.map((n) => [n]))('%s: same text', async (name) => {
    const py = whisperScript('dump', [fixturePath(name)], { now: NOW });
    expect(py.status).toBe(0);
    const r = await runCli(Dump, [fixturePath(name)]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(py.stdout);
  });

  it.each([
    ['UTC', []],
    ['America/New_York', []],
    ['Asia/Kolkata', ['-t', '%Y-%m-%d %H:%M:%S %j %a %b %e %I%p %z']],
  ] as const)('--pretty in TZ=%s %j: same text', async (tz, extra) => {
    const file = fixturePath('D_zeros_src');
    const py = whisperScript('dump', [file, '--pretty', ...extra], { now: NOW, env: { TZ: tz } });
    expect(py.status).toBe(0);
    const r = await withTz(tz, () => runCli(Dump, [file, '--pretty', ...extra]));
    expect(r.stdout).toBe(py.stdout);
  });

  it('--json: a header line, then one line per archive with every slot', async () => {
    const r = await runCli(Dump, [fixturePath('C_special_max'), '--json']);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      aggregationMethod: 'max',
      archiveCount: 3,
      fileSize: readFileSync(fixturePath('C_special_max')).length,
    });
    expect(lines.slice(1).map((a) => [a.archive, a.slots.length])).toEqual([
      [0, 600],
      [1, 360],
      [2, 360],
    ]);
  });
});

describe('whisper fetch = whisper-fetch.py', () => {
  const windows: [string, string[]][] = [
    ['default 24h', []],
    ['last hour', [`--from=${NOW - 3600}`]],
    ['unaligned inside', [`--from=${NOW - 5000 + 7}`, `--until=${NOW - 1003}`]],
    ['whole retention and more', ['--from=0']],
    ['zero length', [`--from=${NOW - 600}`, `--until=${NOW - 600}`]],
  ];
  const cases = SAMPLE.flatMap((name) => windows.map(([w, flags]) => [name, w, flags] as const));

  it.each(cases)('%s %s: same lines', async (name, _w, flags) => {
    const py = whisperScript('fetch', [fixturePath(name), ...flags], { now: NOW });
    expect(py.status).toBe(0);
    const r = await runCli(Fetch, [fixturePath(name), ...flags]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(py.stdout);
  });

  it.each(['nulls', 'zeroes', 'empty'])('--drop %s: the same values, each with its own timestamp', async (drop) => {
    const file = fixturePath('D_zeros_dst');
    const flags = [`--from=${NOW - 86400}`, `--drop=${drop}`];
    const py = whisperScript('fetch', [file, ...flags], { now: NOW });
    const r = await runCli(Fetch, [file, ...flags]);
    const values = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t')[1]);
    expect(values(r.stdout)).toEqual(values(py.stdout));
    // The timestamps are the ones the values belong to (whisper-fetch shifts them after a dropped value).
    const all = new Map(
      (await runCli(Fetch, [file, `--from=${NOW - 86400}`])).stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t') as [string, string]),
    );
    for (const line of r.stdout.trimEnd().split('\n')) {
      const [t, v] = line.split('\t');
      expect(all.get(t!)).toBe(v);
    }
  });

  it('--pretty: time.ctime in local time', async () => {
    const file = fixturePath('B_gappy_a');
    const py = whisperScript('fetch', [file, `--from=${NOW - 3600}`, '--pretty'], { now: NOW, env: { TZ: 'Europe/Paris' } });
    const r = await withTz('Europe/Paris', () => runCli(Fetch, [file, `--from=${NOW - 3600}`, '--pretty']));
    expect(r.stdout).toBe(py.stdout);
  });
});

describe('whisper info FIELD = whisper-info.py FIELD', () => {
  it.each(SAMPLE.flatMap((n) => ['aggregationMethod', 'maxRetention', 'xFilesFactor', 'archives', 'fileSize'].map((f) => [n, f])))(
    '%s %s',
    async (name, field) => {
      const py = whisperScript('info', [fixturePath(name), field], { now: NOW });
      expect(py.status).toBe(0);
      const r = await runCli(Info, [fixturePath(name), field]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(py.stdout);
    },
  );

  it('an unknown field is a usage error naming the fields', async () => {
    const r = await runCli(Info, [fixturePath('B_dense'), 'size']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      'ringshift: error: unknown field "size" (expected one of aggregationMethod, maxRetention, xFilesFactor, archives, fileSize)\n',
    );
  });
});

describe('Python float formatting (repr, %10.35g, %f, %g) = Python', () => {
  it('2000 doubles: random bit patterns, ties, extremes', () => {
    const rnd = mulberry32(42);
    const view = new DataView(new ArrayBuffer(8));
    const xs: number[] = [
      0,
      -0,
      0.5,
      2.5,
      0.0078125,
      -0.0078125,
      1e16,
      1e15,
      1e-5,
      1e-4,
      123.456,
      5e-324,
      1.7976931348623157e308,
      0.1,
      1 / 3,
    ];
    xs.push(NaN, Infinity, -Infinity, 9.5, 0.0000005, 2 ** 60, 2 ** -30, 999999.9999995, 1234567.0000005);
    while (xs.length < 2000) {
      view.setUint32(0, Math.floor(rnd() * 2 ** 32));
      view.setUint32(4, Math.floor(rnd() * 2 ** 32));
      const x = view.getFloat64(0);
      // Half of them in everyday magnitudes, where %f shows digits.
      xs.push(xs.length % 2 ? x : Math.round((rnd() - 0.5) * 10 ** Math.floor(rnd() * 12)) / 2 ** Math.floor(rnd() * 20));
    }
    const hex = xs.map((x) => {
      view.setFloat64(0, x);
      return view.getBigUint64(0).toString(16).padStart(16, '0');
    });
    const code =
      'import sys, struct\nfor h in sys.stdin.read().split():\n  x = struct.unpack("!d", bytes.fromhex(h))[0]\n  print("%s|%10.35g|%f|%g|%.3f" % (repr(x), x, x, x, x))';
    const py = spawnSync(PYTHON, ['-c', code], { input: hex.join('\n'), encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(py.status).toBe(0);
    const want = py.stdout.trimEnd().split('\n');
    const got = xs.map((x) => `${pyFloatRepr(x)}|${pad(pyFormatG(x, 35), 10)}|${pyFormatF(x, 6)}|${pyFormatG(x, 6)}|${pyFormatF(x, 3)}`);
    const mismatches = got.map((g, i) => [xs[i], g, want[i]]).filter(([, g, w]) => g !== w);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

/** Layouts × aggregation methods × xFilesFactor of the files written here by whisper.create. */
const LAYOUTS: [string, string, number][] = [
  ['1s:10m,10s:1h,1m:6h', 'average', 0.5],
  ['10s:30m,1m:6h,10m:2d', 'sum', 0],
  ['60:1440', 'last', 0.5],
  ['1s:60,5s:300,60:3600', 'max', 0.1],
  ['10s:1h,1m:1d,10m:7d,1h:30d', 'min', 0.3],
  ['1s:10m,10s:1h,1m:6h', 'avg_zero', 1],
  ['5s:10m,1m:2h', 'absmax', 0.25],
  ['5s:10m,1m:2h', 'absmin', 0.7],
];

/** whisper.create(path, layout, xff, method) by whisper.py itself. */
/** A writable copy of a fixture in DIR (fixtures are read-only in the repository). */
function writableCopy(fixture: string, dir: string, file: string): string {
  const path = join(dir, file);
  copyFileSync(fixturePath(fixture), path);
  chmodSync(path, 0o644);
  return path;
}

/** Two writable copies of one fixture in a fresh directory: one for whisper's script, one for ringshift. */
function twinCopies(fixture: string, first: string, second: string): [string, string] {
  const dir = scratchDir();
  return [writableCopy(fixture, dir, first), writableCopy(fixture, dir, second)];
}

function pyCreate(path: string, layout: string, method: string, xff: number): void {
  whisperPython(
    'whisper.create(sys.argv[1], [whisper.parseRetentionDef(d) for d in sys.argv[2].split(",")], xFilesFactor=float(sys.argv[3]), aggregationMethod=sys.argv[4])',
    NOW,
    [path, layout, String(xff), method],
  );
}

/** A point value as text both tools read the same way (Python float()). */
function valueText(v: number): string {
  return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
}

describe('pythonSetOrder = CPython set iteration order', () => {
  it('random interval lists of many sizes', () => {
    const rnd = mulberry32(7);
    const lists: number[][] = [];
    for (let n = 1; n < 400; n += 7) {
      const step = [1, 10, 60, 300, 3600][n % 5]!;
      lists.push(Array.from({ length: n }, () => NOW - (NOW % step) - Math.floor(rnd() * n * 1.5) * step));
    }
    lists.push(Array.from({ length: 60000 }, (_, k) => k * 7919));
    const py = spawnSync(PYTHON, ['-c', 'import sys\nfor l in sys.stdin:\n  print(" ".join(map(str, set(map(int, l.split())))))'], {
      input: lists.map((l) => l.join(' ')).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const want = py.stdout.trimEnd().split('\n');
    lists.forEach((l, i) => expect(pythonSetOrder(l).join(' ')).toBe(want[i]));
  });
});

describe('whisper update = whisper-update.py, byte for byte', () => {
  it.each(LAYOUTS)('%s %s xff %s: the same bytes after every step', async (layout, method, xff) => {
    const dir = scratchDir();
    const a = join(dir, 'python.wsp');
    const b = join(dir, 'ringshift.wsp');
    pyCreate(a, layout, method, xff);
    copyFileSync(a, b);
    const rnd = mulberry32(layout.length * 31 + method.length);
    const finest = Number(/^([0-9]+)/.exec(layout)![1]) * (layout.startsWith('60:') ? 1 : 1);
    const randomPoints = (n: number, span: number, specials: boolean): string[] =>
      Array.from({ length: n }, () => {
        const t = NOW - Math.floor(rnd() * span) + (rnd() < 0.05 ? Math.floor(rnd() * 5 * finest) : 0);
        const pick = rnd();
        const v =
          specials && pick < 0.1 ? [NaN, Infinity, -Infinity, -0, 0][Math.floor(rnd() * 5)]! : Math.round((rnd() - 0.3) * 1e6) / 100;
        return `${t}:${valueText(v)}`;
      });
    const steps: string[][] = [
      randomPoints(300, 7200, false), // a batch over two hours into an empty file: propagation sets every lower base
      ['N:42.5'],
      randomPoints(200, 40 * 86400, true), // ages across every archive, some older than all of them
      [`${NOW - 30}:-1.25`],
      randomPoints(50, 600, true),
      randomPoints(2, 100, false),
    ];
    for (const [k, pts] of steps.entries()) {
      const py = whisperScript('update', [a, ...pts], { now: NOW });
      expect(py.status, py.stderr).toBe(0);
      const r = await runCli(Update, [b, ...pts]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(sha256(readFileSync(b)), `step ${k}`).toBe(sha256(readFileSync(a)));
    }
  });

  it('stdin lines give the same bytes as the same points as arguments', async () => {
    const dir = scratchDir();
    const a = join(dir, 'python.wsp');
    pyCreate(a, '1s:10m,10s:1h,1m:6h', 'average', 0.5);
    const b = join(dir, 'ringshift.wsp');
    copyFileSync(a, b);
    const pts = Array.from({ length: 120 }, (_, k) => [NOW - k * 7, (k % 13) * 1.5] as const);
    whisperScript('update', [a, ...pts.map(([t, v]) => `${t}:${v}`)], { now: NOW });
    const saved = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    const { Readable } = await import('node:stream');
    Object.defineProperty(process, 'stdin', {
      value: Readable.from([pts.map(([t, v]) => `${t} ${v}`).join('\n') + '\n']),
      configurable: true,
    });
    try {
      const r = await runCli(Update, [b, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ points: 120, call: 'update_many', dropped: 0 });
    } finally {
      Object.defineProperty(process, 'stdin', saved);
    }
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(a)));
  });

  it('one point outside the retention: whisper.update refuses it (exit 1), nothing written', async () => {
    const dir = scratchDir();
    const b = join(dir, 'r.wsp');
    pyCreate(b, '60:1440', 'average', 0.5);
    const before = readFileSync(b);
    const py = whisperScript('update', [b, `${NOW - 90000}:1`], { now: NOW });
    expect(py.stderr).toMatch(/Timestamp not covered/);
    const r = await runCli(Update, [b, `${NOW - 90000}:1`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^ringshift: error: .*r\.wsp: timestamp [0-9]+ is not covered/);
    expect(sha256(readFileSync(b))).toBe(sha256(before));
  });

  it.each([['1700000000'], ['x:1'], ['1700000000:abc'], [':5']])('bad point %j: exit 2, one line', async (pt) => {
    const dir = scratchDir();
    const b = join(dir, 'r.wsp');
    pyCreate(b, '60:1440', 'average', 0.5);
    const r = await runCli(Update, [b, pt]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('whisper set-aggregation / set-xff = whisper-set-aggregation-method.py / whisper-set-xfilesfactor.py', () => {
  const methods = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'];
  it.each(
    methods.flatMap(
      (m, i) =>
        [
          [m, undefined],
          [m, ['0', '0.1', '1', '.333', '1e-1', '0.70', '1.0', '0.5'][i]!],
        ] as const,
    ),
  )('set-aggregation %s %s: same bytes, same line', async (method, xff) => {
    const [a, b] = twinCopies('C_special_max', 'python.wsp', 'ringshift.wsp');
    const extra = xff === undefined ? [] : [xff];
    const py = whisperScript('set-aggregation-method', [a, method, ...extra], { now: NOW });
    expect(py.status, py.stderr).toBe(0);
    const r = await runCli(SetAggregation, [b, method, ...extra]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.replace(b, 'FILE')).toBe(py.stdout.replace(a, 'FILE'));
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(a)));
  });

  it.each(['0', '1', '0.1', '0.3333333', '.5', '1e-3', '0.999999999'])('set-xff %s: same bytes, same line', async (xff) => {
    const [a, b] = twinCopies('X_xff01_k1', 'python.wsp', 'ringshift.wsp');
    const py = whisperScript('set-xfilesfactor', [a, xff], { now: NOW });
    expect(py.status, py.stderr).toBe(0);
    const r = await runCli(SetXff, [b, xff]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.replace(b, 'FILE')).toBe(py.stdout.replace(a, 'FILE'));
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(a)));
  });

  it.each([
    [SetXff, ['nan'], 2],
    [SetXff, ['1.5'], 2],
    [SetXff, ['-0.1'], 2],
    [SetAggregation, ['median'], 2],
    [SetAggregation, ['sum', '2'], 2],
  ] as const)('refused without writing: %#', async (cmd, argv, code) => {
    const dir = scratchDir();
    const b = writableCopy('B_dense', dir, 'r.wsp');
    const r = await runCli(cmd, [b, ...argv]);
    expect(r.exitCode).toBe(code);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(fixturePath('B_dense'))));
  });

  it('a header whisper cannot read: exit 1, unchanged', async () => {
    const dir = scratchDir();
    const b = writableCopy('bad_agg_type', dir, 'r.wsp');
    const r = await runCli(SetXff, [b, '0.5']);
    expect(r.exitCode).toBe(1);
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(fixturePath('bad_agg_type'))));
  });
});

describe('whisper diff = whisper-diff.py', () => {
  const pairs = [
    ['B_dense', 'B_gappy_a'],
    ['B_gappy_a', 'B_gappy_b'],
    ['R_gappy_a', 'R_dense'],
    ['C_special_avg', 'C_special_max'],
    ['D_zeros_src', 'D_zeros_dst'],
    ['X_xff03_k3', 'X_dense_src'],
    ['B_dense', 'B_empty'],
    ['B_aged_a', 'B_stale'],
  ];
  const variants: string[][] = [
    [],
    ['--summary'],
    ['--ignore-empty'],
    ['--columns', '--no-headers'],
    ['--summary', '--columns'],
    [`--until=${NOW - 1000}`],
  ];
  it.each(pairs.flatMap(([a, b]) => variants.map((v) => [a!, b!, v] as const)))('%s vs %s %j: same text', async (a, b, flags) => {
    const py = whisperScript('diff', [...flags, fixturePath(a), fixturePath(b)], { now: NOW });
    expect(py.status, py.stderr).toBe(0);
    const r = await runCli(Diff, [fixturePath(a), fixturePath(b), ...flags]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(py.stdout);
  });

  it.each(pairs.map(([a, b]) => [a!, b!]))('%s vs %s --json: the same archives and points as NDJSON', async (a, b) => {
    const py = whisperScript('diff', ['--json', fixturePath(a), fixturePath(b)], { now: NOW });
    // whisper prints NaN as a bare NaN token; read it the way Python's json module does.
    const want = JSON.parse(
      py.stdout
        .replace(/\bNaN\b/g, '"NaN"')
        .replace(/-Infinity\b/g, '"-Infinity"')
        .replace(/(?<!")Infinity\b/g, '"Infinity"'),
    );
    const r = await runCli(Diff, [fixturePath(a), fixturePath(b), '--json']);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map(({ path_a: _a, path_b: _b, ...rest }) => rest)).toEqual(want.archives);
    expect(lines.every((l) => l.path_a === fixturePath(a) && l.path_b === fixturePath(b))).toBe(true);
  });

  it('different layouts: exit 1 naming both files', async () => {
    const r = await runCli(Diff, [fixturePath('A_dense'), fixturePath('B_dense')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^ringshift: error: .*B_dense\.wsp: archive configurations are unalike \(.*A_dense\.wsp: /);
  });
});

describe('whisper resize = whisper-resize.py, byte for byte', () => {
  const cases: [string, string[], string[]][] = [
    ['B_gappy_a', ['10s:1h', '1m:1d', '10m:7d'], []],
    ['B_gappy_a', ['1m:1h'], []],
    ['R_gappy_b', ['5m:1d', '1h:30d'], []],
    ['E_gappy', ['1s:30m', '1m:2d', '1h:60d'], ['--xff', '0.1']],
    ['C_special_avg', ['10s:1h', '1m:6h'], ['--aggregation', 'max']],
    ['C_absmin', ['1s:10m', '10s:1h', '1m:6h'], ['--aggregation', 'sum', '--xff', '0']],
    ['D_zeros_dst', ['1m:2h', '5m:2d'], []],
    ['X_xff05_k5', ['2s:20m', '10s:2h'], []],
    ['B_empty', ['1m:1d'], []],
    ['A_unaligned', ['30s:12h', '5m:2d'], ['--aggregation', 'last']],
  ];
  const pyFlags = (f: string[]) => f.map((x) => (x === '--xff' ? '--xFilesFactor' : x === '--aggregation' ? '--aggregationMethod' : x));

  it.each(cases)('%s -> %j %j', async (name, layout, flags) => {
    const [a, b] = twinCopies(name, 'python.wsp', 'ringshift.wsp');
    const py = whisperScript('resize', [a, ...layout, ...pyFlags(flags)], { now: NOW });
    expect(py.status, py.stderr).toBe(0);
    const r = await runCli(Resize, [b, ...layout, ...flags, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(a)));
    // The backup is the old file, as whisper-resize's.
    expect(sha256(readFileSync(`${b}.bak`))).toBe(sha256(readFileSync(fixturePath(name))));
    expect(sha256(readFileSync(`${a}.bak`))).toBe(sha256(readFileSync(fixturePath(name))));
    expect(JSON.parse(r.stdout)).toMatchObject({ path: b, output: b, backup: `${b}.bak`, to: expect.any(String) });
    expect(readdirSync(dirname(b)).sort()).toEqual(['python.wsp', 'python.wsp.bak', 'ringshift.wsp', 'ringshift.wsp.bak']);
  });

  it.each([
    ...cases.slice(0, 6),
    ['B_gappy_a', ['1m:1h', '5m:1d'], ['--xff', '0']],
    ['D_zeros_dst', ['5m:2d'], ['--aggregation', 'avg_zero', '--xff', '0']],
  ] as [string, string[], string[]][])(
    "--aggregate %s -> %j %j: the script's logic (run with Python 2 list builtins)",
    async (name, layout, flags) => {
      const [a, b] = twinCopies(name, 'python.wsp', 'ringshift.wsp');
      const py = whisperScript('resize', [a, ...layout, ...pyFlags(flags), '--aggregate', '--nobackup'], { now: NOW, py2Builtins: true });
      const r = await runCli(Resize, [b, ...layout, ...flags, '--aggregate', '--no-backup']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(existsSync(`${b}.bak`)).toBe(false);
      if (py.status !== 0) {
        // The script "aggregates" an interval without any known point when xff is 0 and dies for most
        // methods (ZeroDivisionError, ValueError): ringshift leaves such an interval empty instead.
        expect(py.stderr).toMatch(/ZeroDivisionError|ValueError|IndexError/);
        return;
      }
      expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(a)));
    },
  );

  it('--newfile leaves the file alone; --dry-run writes nothing', async () => {
    const dir = scratchDir();
    const b = writableCopy('B_gappy_a', dir, 'r.wsp');
    const a = writableCopy('B_gappy_a', dir, 'p.wsp');
    whisperScript('resize', [a, '1m:1d', '--newfile', join(dir, 'p-new.wsp')], { now: NOW });
    const r = await runCli(Resize, [b, '1m:1d', '--newfile', join(dir, 'r-new.wsp')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sha256(readFileSync(join(dir, 'r-new.wsp')))).toBe(sha256(readFileSync(join(dir, 'p-new.wsp'))));
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
    const d = await runCli(Resize, [b, '1m:2d', '--dry-run']);
    expect(d.stdout).toMatch(/^would resize .*r\.wsp: 10s:30m,1m:6h,10m:2d -> 1m:2d, average, .*dry run, nothing written/);
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
    expect(existsSync(`${b}.bak`)).toBe(false);
  });

  it.each([
    [['15s:1h', '40s:1d'], 2, /evenly divide/],
    [['1m:1d', '--xff', '2'], 2, /xFilesFactor/],
    [['1m:1d', '--aggregation', 'median'], 2, /median/],
  ] as const)('refused before anything is written: %j', async (argv, code, msg) => {
    const dir = scratchDir();
    const b = writableCopy('B_gappy_a', dir, 'r.wsp');
    const r = await runCli(Resize, [b, ...argv]);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(msg);
    expect(readdirSync(dir)).toEqual(['r.wsp']);
  });

  it('a corrupt file or an existing backup: exit 1, nothing written', async () => {
    const dir = scratchDir();
    const c = writableCopy('bad_trunc_data', dir, 'c.wsp');
    expect((await runCli(Resize, [c, '1m:1d'])).exitCode).toBe(1);
    const b = writableCopy('B_gappy_a', dir, 'r.wsp');
    copyFileSync(fixturePath('B_dense'), `${b}.bak`);
    const r = await runCli(Resize, [b, '1m:1d']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/r\.wsp\.bak exists/);
    expect(sha256(readFileSync(b))).toBe(sha256(readFileSync(fixturePath('B_gappy_a'))));
    expect(sha256(readFileSync(`${b}.bak`))).toBe(sha256(readFileSync(fixturePath('B_dense'))));
    expect(readdirSync(dir).sort()).toEqual(['c.wsp', 'r.wsp', 'r.wsp.bak']);
  });
});
