// Every `ringshift whisper` command against whisper's own scripts (python3-whisper's /usr/bin/whisper-*)
// on the same inputs at the same pinned clock: dump/fetch/info text equal line for line, update,
// set-aggregation, set-xff and resize equal byte for byte, diff the same differences. Inputs: the shared
// fixtures (several layouts, every aggregation method, NaN/±inf/-0.0/denormals) and files written here
// by whisper.py itself. Without python3-whisper these tests fail (CI installs it).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import Dump from '../commands/whisper/dump.js';
import Fetch from '../commands/whisper/fetch.js';
import Info from '../commands/whisper/info.js';
import { runCli } from './whisper/cli.js';
import { requirePythonWhisper, whisperScript } from './whisper/python-whisper.js';
import { NOW, fixturePath, manifest } from './whisper/vectors.js';

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
