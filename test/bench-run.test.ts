// `npm run bench` (bench/run.ts): which benches and arguments a command line selects, and the one table
// it prints from the benches' NDJSON rows (bench/rows.ts), with each peer's ratio to ringshift.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatValue, parseArgs, ratio, readmeWithTable, table } from '../bench/run.js';
import { isBenchRow, type BenchRow } from '../bench/rows.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const KNOWN = ['apply', 'scan', 'whisper-fill'];

describe('bench command line', () => {
  it('names select benches; options and what follows them or -- go to every bench', () => {
    expect(parseArgs(['apply', 'scan'], KNOWN)).toMatchObject({ names: ['apply', 'scan'], extra: [] });
    expect(parseArgs(['--quick', '--list', '--json'], KNOWN)).toMatchObject({ quick: true, list: true, json: true, names: [] });
    expect(parseArgs(['whisper-fill', '--', '--pairs', 'apply'], KNOWN)).toMatchObject({
      names: ['whisper-fill'],
      extra: ['--pairs', 'apply'],
    });
    expect(parseArgs(['apply', '--big', '10', 'scan'], KNOWN)).toMatchObject({ names: ['apply'], extra: ['--big', '10', 'scan'] });
    expect(parseArgs(['whisper-fill', '200'], KNOWN)).toMatchObject({ names: ['whisper-fill'], extra: ['200'] });
  });

  it('a mistyped bench name is an error listing the benches', () => {
    expect(() => parseArgs(['aply'], KNOWN)).toThrow('unknown bench "aply" (benches: apply, scan, whisper-fill;');
  });
});

describe('bench table', () => {
  const row = (tool: string, value: number | null, better: 'higher' | 'lower' = 'higher', extra: Partial<BenchRow> = {}): BenchRow => ({
    bench: 'apply',
    case: '10 files',
    tool,
    metric: better === 'higher' ? 'MB/s' : 'seconds',
    value,
    better,
    ...extra,
  });

  it('recognises protocol rows only', () => {
    expect(isBenchRow(row('ringshift apply', 1))).toBe(true);
    expect(isBenchRow({ ...row('x', 1), better: 'faster' })).toBe(false);
    expect(isBenchRow({ bench: 'x' })).toBe(false);
  });

  it('ratio > 1 means ringshift is better, for both directions of metric', () => {
    expect(ratio(row('ringshift', 800), row('cp -r', 1000))).toBe('0.800×');
    expect(ratio(row('ringshift', 2, 'lower'), row('find', 4, 'lower'))).toBe('2.00×');
    expect(ratio(row('ringshift', 2), row('peer', null))).toBe('');
  });

  it('formats values with 3 significant digits', () => {
    expect([3_120_000, 45_600, 812.4, 12.34, 0.01234, null].map(formatValue)).toEqual(['3.12M', '45.6k', '812', '12.3', '0.0123', '-']);
  });

  it('groups a case: ringshift rows first, peers with their ratio to the first ringshift row, notes last', () => {
    const t = table([
      row('cp -r', 1000, 'higher', { note: 'page cache' }),
      row('ringshift apply', 800),
      row('ringshift apply (library)', 900),
      row('rsync -a', null, 'higher', { note: 'not available: rsync not found' }),
      row('ringshift apply', 2, 'lower', { case: 'other' }),
    ]).split('\n');
    expect(t[0]).toMatch(/^bench +case +tool +metric +value +ringshift × +note$/);
    expect(t.slice(1).map((l) => l.replace(/ +/g, ' '))).toEqual([
      'apply 10 files ringshift apply MB/s ↑ 800',
      ' ringshift apply (library) MB/s ↑ 900',
      ' cp -r MB/s ↑ 1000 0.800× page cache',
      ' rsync -a MB/s ↑ - not available: rsync not found',
      'apply other ringshift apply seconds ↓ 2',
    ]);
  });
});

describe('npm run bench -- --readme', () => {
  const BEGIN = '<!-- bench-table: begin (written by npm run bench -- --readme) -->';
  const END = '<!-- bench-table: end -->';

  it('replaces what lies between the markers with the command, the machine and the table', () => {
    const before = `# x\n\n${BEGIN}\nold table\n${END}\n\n## next\n`;
    const after = readmeWithTable(before, 'npm run bench', '2 CPUs', 'T');
    expect(after).toBe(
      `# x\n\n${BEGIN}\nMeasured with \`npm run bench\` (2 CPUs):\n\n\`\`\`text\nT\n\n${after.split('\n').find((l) => l.startsWith('↑'))}\n\`\`\`\n${END}\n\n## next\n`,
    );
    expect(readmeWithTable(after, 'npm run bench', '2 CPUs', 'T')).toBe(after);
    expect(() => readmeWithTable('# x', 'c', 'm', 'T')).toThrow('README.md has no bench-table markers');
  });

  it('README.md has the markers, and its table names the command that wrote it', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
    expect(block).toMatch(
      /^.*\nMeasured with `npm run bench( -- [^`]*)?` \(\d+ CPUs, load average [\d.]+ at the start, node v[\d.]+, \d{4}-\d\d-\d\d\):/,
    );
  });
});
