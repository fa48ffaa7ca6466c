// `whisper fill --batch`: many pairs in one process give exactly the files single fills give, hostile
// names get through (-0), a refused or failing pair is reported and the batch goes on (exit 1), and a
// bad window refuses the whole batch before any file is touched (exit 2).
import { chmodSync, closeSync, copyFileSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Fill from '../commands/whisper/fill.js';
import { carbonateFill } from '../src/whisper/compat-carbonate.js';
import { batchRecords } from '../src/whisper/fill-batch.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { runCli } from './whisper/cli.js';
import { NOW, fixturePath, scratchDir, sha256 } from './whisper/vectors.js';

const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };

/** Copy a fixture to a (possibly non-UTF-8) name given as bytes. */
function place(name: string, to: Buffer | string): void {
  copyFileSync(fixturePath(name), to);
  chmodSync(to, 0o644);
}

const PAIRS: [string, string][] = [
  ['B_dense', 'B_gappy_a'],
  ['B_gappy_b', 'B_gappy_a'],
  ['R_dense', 'R_gappy_a'],
  ['C_average_src', 'C_average'],
  ['X_dense_src', 'X_xff01_k1'],
  ['B_dense', 'B_empty'],
  ['D_zeros_src', 'D_zeros_dst'],
];

async function records(input: Buffer, nul: boolean) {
  const out = [];
  for await (const r of batchRecords(
    (async function* () {
      // Cut the input at awkward places: records straddle chunks.
      for (let i = 0; i < input.length; i += 7) yield input.subarray(i, i + 7);
    })(),
    nul,
  ))
    out.push(r);
  return out;
}

describe('batch input', () => {
  it('lines: SRC<TAB>DST, CRLF tolerated, blank lines skipped, other lines reported', async () => {
    const r = await records(Buffer.from('a b.wsp\tc.wsp\r\n\nno tab here\nx\ty\tz\nlast\tone'), false);
    expect(r).toEqual([
      { index: 1, src: 'a b.wsp', dst: 'c.wsp' },
      { index: 2, problem: expect.stringMatching(/^record 2: "no tab here" is not SRC<TAB>DST/) },
      { index: 3, problem: expect.stringMatching(/^record 3: /) },
      { index: 4, src: 'last', dst: 'one' },
    ]);
  });

  it('-0: NUL-terminated fields alternate SRC and DST; any byte but NUL in a name', async () => {
    const odd = Buffer.from([0x66, 0xff, 0x0a, 0x09, 0x5c]);
    const input = Buffer.concat([Buffer.from('s 1\n\t$(x)\0d\\1\0'), odd, Buffer.from('\0'), Buffer.from('dst\0orphan')]);
    const r = await records(input, true);
    expect(r[0]).toEqual({ index: 1, src: 's 1\n\t$(x)', dst: 'd\\1' });
    expect(r[1]).toEqual({ index: 2, src: odd, dst: 'dst' });
    expect(r[2]).toEqual({ index: 3, problem: expect.stringMatching(/source "orphan" has no destination/) });
  });
});

describe('whisper fill --batch', () => {
  it('the same bytes as one fill per pair, one NDJSON line per pair, exit 0', async () => {
    const dir = scratchDir();
    const lines: string[] = [];
    for (const [k, [src, dst]] of PAIRS.entries()) {
      place(dst, join(dir, `batch-${k}.wsp`));
      place(dst, join(dir, `single-${k}.wsp`));
      lines.push(`${fixturePath(src)}\t${join(dir, `batch-${k}.wsp`)}`);
    }
    writeFileSync(join(dir, 'pairs.tsv'), lines.join('\n') + '\n');
    const r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv'), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.index, x.ok, x.mode])).toEqual(PAIRS.map((_, k) => [k + 1, true, 'gaps']));
    for (const [k, [src]] of PAIRS.entries()) {
      const single = await fillGaps(fixturePath(src), join(dir, `single-${k}.wsp`), { now: NOW });
      expect(rows[k].total).toBe(single.total);
      expect(sha256(readFileSync(join(dir, `batch-${k}.wsp`)))).toBe(sha256(readFileSync(join(dir, `single-${k}.wsp`))));
    }
    expect(r.stderr).toMatch(/^ringshift: 7 pairs: [0-9]+ filled, [0-9]+ unchanged, 0 failed; /);
  });

  it('--compat carbonate: the same bytes as carbonateFill per pair', async () => {
    const dir = scratchDir();
    const lines: string[] = [];
    for (const [k, [src, dst]] of PAIRS.slice(0, 3).entries()) {
      place(dst, join(dir, `batch-${k}.wsp`));
      place(dst, join(dir, `single-${k}.wsp`));
      lines.push(`${fixturePath(src)}\t${join(dir, `batch-${k}.wsp`)}`);
    }
    writeFileSync(join(dir, 'pairs.tsv'), lines.join('\n'));
    const r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv'), '--compat', 'carbonate']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const [k, [src]] of PAIRS.slice(0, 3).entries()) {
      await carbonateFill(fixturePath(src), join(dir, `single-${k}.wsp`), { now: NOW });
      expect(sha256(readFileSync(join(dir, `batch-${k}.wsp`)))).toBe(sha256(readFileSync(join(dir, `single-${k}.wsp`))));
    }
  });

  it('-0 with hostile names (space, tab, newline, backslash, $( ), bytes that are not UTF-8)', async () => {
    const dir = scratchDir();
    const names = [
      Buffer.from('a b\tc\nd.wsp'),
      Buffer.from('back\\slash $(touch x).wsp'),
      Buffer.from([0x6e, 0xe9, 0xff, 0x2e, 0x77, 0x73, 0x70]),
    ];
    const parts: Buffer[] = [];
    for (const n of names) {
      const full = Buffer.concat([Buffer.from(dir + '/'), n]);
      place('B_gappy_a', full);
      parts.push(Buffer.from(fixturePath('B_dense') + '\0'), full, Buffer.from('\0'));
    }
    place('B_gappy_a', join(dir, 'want.wsp'));
    await fillGaps(fixturePath('B_dense'), join(dir, 'want.wsp'), { now: NOW });
    writeFileSync(join(dir, 'pairs.bin'), Buffer.concat(parts));
    const r = await runCli(Fill, ['--batch', join(dir, 'pairs.bin'), '-0', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.ok)).toEqual([true, true, true]);
    expect(rows[2].dst).toBe(`${dir}/n\\xe9\\xff.wsp`);
    for (const n of names) {
      expect(sha256(readFileSync(Buffer.concat([Buffer.from(dir + '/'), n])))).toBe(sha256(readFileSync(join(dir, 'want.wsp'))));
    }
  });

  it('a refused or failing pair is reported and the batch goes on; exit 1', async () => {
    const dir = scratchDir();
    place('B_gappy_a', join(dir, 'a.wsp'));
    place('B_gappy_a', join(dir, 'locked.wsp'));
    place('B_gappy_a', join(dir, 'c.wsp'));
    place('bad_trunc_data', join(dir, 'corrupt.wsp'));
    const corruptBefore = readFileSync(join(dir, 'corrupt.wsp'));
    const lockedBefore = readFileSync(join(dir, 'locked.wsp'));
    const src = fixturePath('B_dense');
    const lines = [
      `${src}\t${join(dir, 'a.wsp')}`,
      `${src}\t${join(dir, 'missing.wsp')}`,
      `${src}\t${join(dir, 'corrupt.wsp')}`,
      'not a pair',
      `${src}\t${join(dir, 'locked.wsp')}`,
      `${join(dir, 'a.wsp')}\t${join(dir, 'a.wsp')}`,
      `${src}\t${join(dir, 'c.wsp')}`,
    ];
    writeFileSync(join(dir, 'pairs.tsv'), lines.join('\n') + '\n');
    const fd = openSync(join(dir, 'locked.wsp'), 'r');
    fsExt.flockSync(fd, 'exnb'); // carbon-cache writing: the pair times out, the next ones go on
    let r;
    try {
      r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv'), '--json', '--lock-timeout', '0']);
    } finally {
      closeSync(fd);
    }
    expect(r.exitCode).toBe(1);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.index, x.ok, x.code])).toEqual([
      [1, true, undefined],
      [2, false, 'DstMissing'],
      [3, false, 'DstCorrupt'],
      [4, false, 'BadRecord'],
      [5, false, 'Locked'],
      [6, false, 'SameFile'],
      [7, true, undefined],
    ]);
    expect(rows[1]).toMatchObject({ src, dst: join(dir, 'missing.wsp'), error: 'destination does not exist' });
    expect(sha256(readFileSync(join(dir, 'corrupt.wsp')))).toBe(sha256(corruptBefore));
    expect(sha256(readFileSync(join(dir, 'locked.wsp')))).toBe(sha256(lockedBefore));
    expect(sha256(readFileSync(join(dir, 'c.wsp')))).toBe(sha256(readFileSync(join(dir, 'a.wsp'))));
    expect(r.stderr).toMatch(/7 pairs: 2 filled, 0 unchanged, 5 failed/);
  });

  it('the same destination twice in a row, --lock-timeout 0: the second waits for the first, not refused', async () => {
    const dir = scratchDir();
    place('B_gappy_a', join(dir, 'a.wsp'));
    const line = `${fixturePath('B_dense')}\t${join(dir, 'a.wsp')}\n`;
    writeFileSync(join(dir, 'pairs.tsv'), line + line + `${join(dir, 'a.wsp')}\t${join(dir, 'b.wsp')}\n`);
    place('B_empty', join(dir, 'b.wsp'));
    const r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv'), '--json', '--lock-timeout', '0']);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.ok, x.total > 0])).toEqual([
      [true, true],
      [true, false],
      [true, true],
    ]);
  });

  it('text: one line per pair, FAILED lines name both files', async () => {
    const dir = scratchDir();
    place('B_gappy_a', join(dir, 'a.wsp'));
    writeFileSync(
      join(dir, 'pairs.tsv'),
      `${fixturePath('B_dense')}\t${join(dir, 'a.wsp')}\n${fixturePath('B_dense')}\t${join(dir, 'x.wsp')}\n`,
    );
    const r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv')]);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `${join(dir, 'a.wsp')}: 103 slots filled from ${fixturePath('B_dense')}`,
      `FAILED  ${fixturePath('B_dense')} -> ${join(dir, 'x.wsp')}: destination does not exist`,
    ]);
  });

  it.each([[['--from=-1h', '--until=-2h']], [['--from=soon']], [['SRC.wsp']]])(
    '%j: the whole batch refused up front (exit 2), nothing touched',
    async (flags) => {
      const dir = scratchDir();
      place('B_gappy_a', join(dir, 'a.wsp'));
      const before = readFileSync(join(dir, 'a.wsp'));
      writeFileSync(join(dir, 'pairs.tsv'), `${fixturePath('B_dense')}\t${join(dir, 'a.wsp')}\n`);
      const r = await runCli(Fill, ['--batch', join(dir, 'pairs.tsv'), ...flags]);
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe('');
      expect(sha256(readFileSync(join(dir, 'a.wsp')))).toBe(sha256(before));
    },
  );

  it('a pairs file that is missing or a directory: exit 2 naming it', async () => {
    const dir = scratchDir();
    for (const f of [join(dir, 'none.tsv'), dir]) {
      const r = await runCli(Fill, ['--batch', f]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^ringshift: error: ${f}: cannot read names`));
    }
  });
});
