// The README shows what the commands print today. Every ```console block of README.md is a transcript:
// `$ ringshift ARGS` lines, each followed by its expected output (stdout and stderr as a terminal shows
// them). The bundled example (fixtures/example/run.sh, pinned clock) is run as `npm run example` runs it;
// its steps are compared with the README's, and the README's other commands are then run in the example's
// directory, in README order. Conventions of the transcripts:
//   - a line that is only `…` stands for any number of lines (elided output, or output that depends on the
//     machine: disk usage, timings);
//   - `…` inside a line stands for any text within that line (a hash, a duration);
//   - the example's scratch directory is written /tmp/ringshift-example.XXXXXX;
//   - trailing blank lines are not compared.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/project-root.js';

const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const RUN_SH = join(PROJECT_ROOT, 'fixtures/example/run.sh');
const BIN = join(PROJECT_ROOT, 'bin/run.js');
const NOW = '1790000000';
const SHOWN_DIR = '/tmp/ringshift-example.XXXXXX';

export interface Transcript {
  /** The arguments after `$ ringshift `, as typed (shell quoting). */
  command: string;
  expected: string[];
  /** 1-based line of the `$` line in README.md. */
  line: number;
}

/** The `$ ringshift …` commands of every ```console block, with the lines shown after each. */
export function transcripts(markdown: string): Transcript[] {
  const out: Transcript[] = [];
  const lines = markdown.split('\n');
  let inConsole = false;
  let current: Transcript | undefined;
  lines.forEach((l, i) => {
    if (!inConsole) {
      inConsole = l.trim() === '```console';
      return;
    }
    if (l.trim() === '```') {
      inConsole = false;
      current = undefined;
      return;
    }
    if (l.startsWith('$ ')) {
      if (!l.startsWith('$ ringshift ')) throw new Error(`README.md:${i + 1}: a console block runs only ringshift: ${l}`);
      current = { command: l.slice('$ ringshift '.length), expected: [], line: i + 1 };
      out.push(current);
    } else if (current) current.expected.push(l);
    else throw new Error(`README.md:${i + 1}: output before any command: ${l}`);
  });
  for (const t of out) while (t.expected.length > 0 && t.expected[t.expected.length - 1] === '') t.expected.pop();
  return out;
}

function lineMatches(pattern: string, line: string): boolean {
  if (!pattern.includes('…')) return pattern === line;
  const re = pattern
    .split('…')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`).test(line);
}

/** Glob match of the expected lines (`…` lines = any lines) against the actual ones; null when they match. */
export function mismatch(expected: string[], actual: string[]): string | null {
  let furthest = 0;
  const memo = new Set<string>();
  const go = (i: number, j: number): boolean => {
    furthest = Math.max(furthest, i);
    if (i === expected.length) return j === actual.length;
    const key = `${i},${j}`;
    if (memo.has(key)) return false;
    memo.add(key);
    if (expected[i] === '…') {
      for (let k = j; k <= actual.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < actual.length && lineMatches(expected[i]!, actual[j]!) && go(i + 1, j + 1);
  };
  if (go(0, 0)) return null;
  const want = furthest < expected.length ? JSON.stringify(expected[furthest]) : 'the end of the output';
  return `README line ${furthest + 1} of this output (${want}) does not match; the command printed:\n${actual.join('\n')}`;
}

/** Output as compared: no colour codes, the scratch directory as the README writes it, no trailing blanks. */
function normalise(text: string, dir: string): string[] {
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split(dir)
    .join(SHOWN_DIR)
    .split('\n')
    // Progress lines: redrawn in place on a terminal, timing-dependent.
    .filter((l) => !/^ringshift \w+: \d+\/\d+ actions/.test(l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Step {
  command: string;
  output: string[];
}

/** run.sh's output cut into its steps (`== N. title` then `$ ringshift …`); run.sh's own notes dropped. */
function steps(lines: string[]): Step[] {
  const out: Step[] = [];
  let current: Step | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('== ') && lines[i + 1]?.startsWith('$ ringshift ')) {
      current = { command: lines[++i]!.slice('$ ringshift '.length), output: [] };
      out.push(current);
    } else if (l.startsWith('The example cluster is in ')) current = undefined;
    else if (current && !/^\(lint exit code \d+: .*\)$/.test(l)) current.output.push(l);
  }
  for (const s of out) while (s.output.length > 0 && s.output[s.output.length - 1] === '') s.output.pop();
  return out;
}

describe('the transcript matcher', () => {
  it('matches … lines and … inside lines, and says where it stops', () => {
    expect(mismatch(['a', '…', 'd'], ['a', 'b', 'c', 'd'])).toBeNull();
    expect(mismatch(['a', '…'], ['a'])).toBeNull();
    expect(mismatch(['sha256 …), all'], ['sha256 83aa4a95c78f…), all'])).toBeNull();
    expect(mismatch(['a', 'c'], ['a', 'b'])).toMatch(/^README line 2 of this output \("c"\) does not match/);
    expect(mismatch(['a'], ['a', 'b'])).toMatch(/README line 2 of this output \(the end of the output\)/);
    expect(mismatch(['x.y'], ['xzy'])).not.toBeNull();
  });

  it('reads the README’s console blocks', () => {
    const t = transcripts('```console\n$ ringshift a b\nout\n\n$ ringshift c\n```\n```sh\n$ x\n```\n');
    expect(t).toEqual([
      { command: 'a b', expected: ['out'], line: 2 },
      { command: 'c', expected: [], line: 5 },
    ]);
    expect(() => transcripts('```console\n$ ls\n```')).toThrow('README.md:2: a console block runs only ringshift');
  });
});

describe('README.md shows what the commands print', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringshift-example.'));
  const env = { ...process.env, RINGSHIFT_NOW: NOW, RINGSHIFT_EXAMPLE_DIR: dir, FORCE_COLOR: '0', NO_COLOR: '1' };
  const shown = transcripts(README);
  let example: Step[] = [];

  beforeAll(() => {
    // As `npm run example` runs it (stderr merged in order, as a terminal shows it).
    const r = spawnSync('bash', ['-c', 'exec bash "$0" 2>&1', RUN_SH], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`fixtures/example/run.sh exited ${r.status}:\n${r.stdout}${r.stderr}`);
    example = steps(normalise(r.stdout, dir));
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the README walks through every step of the example, in order', () => {
    expect(example.length).toBeGreaterThanOrEqual(6);
    expect(shown.slice(0, example.length).map((t) => t.command)).toEqual(example.map((s) => s.command));
  });

  it.each(shown.map((t) => [`README.md:${t.line} $ ringshift ${t.command}`, t] as const))('%s', (_name, t) => {
    const i = shown.indexOf(t);
    let actual: string[];
    if (i < example.length) {
      actual = example[i]!.output;
    } else {
      // After the example: run in its directory, where the README's paths exist.
      const r = spawnSync('bash', ['-c', `ringshift() { node "${BIN}" "$@"; }; ringshift ${t.command} 2>&1`], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      actual = normalise(r.stdout, dir);
    }
    const why = mismatch(t.expected, actual);
    expect(why, `README.md:${t.line} $ ringshift ${t.command}`).toBeNull();
  });
});
