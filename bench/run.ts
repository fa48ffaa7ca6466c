// `npm run bench`: runs the benchmarks (every one, or those named) and prints ONE table of their results,
// each case with ringshift and its peers side by side. A bench is dist/bench/<name>.js (from bench/<name>.ts);
// it reports progress on stderr, shown live, and its measurements as NDJSON rows on stdout (bench/rows.ts).
//
//   npm run bench                          every bench, full size
//   npm run bench -- --quick               every bench at small sizes (about a minute; for a smoke run)
//   npm run bench -- apply scan            the benches named
//   npm run bench -- whisper-fill -- --pairs 50   arguments after the names (or after --) go to every bench run
//   npm run bench -- --list                the benches and what each measures
//   npm run bench -- --json                the rows as NDJSON instead of the table
//   npm run bench -- --readme              also write the table into README.md (between its bench-table
//                                          markers), with the command, the machine and the date
//
// `npm run bench` builds first when dist/ is stale (scripts/build-if-stale.mjs).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isBenchRow, type BenchRow } from './rows.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const NOT_BENCHES = new Set(['run', 'rows', 'apply-sshd', 'whisper-bytes']);

/** Small sizes per bench for --quick (the benches' own flags); a bench not listed runs at full size. */
const QUICK_ARGS: Record<string, string[]> = {
  apply: ['--big', '10', '--small', '200', '--runs', '1'],
  'apply-ssh': ['--quick'],
  audit: ['--entries', '100000'],
  backfill: ['--files', '500', '--peer-files', '10'],
  'cli-startup': ['--runs', '3'],
  'ring-locate-e2e': ['--skip-diff'],
  'ring-lookup': ['200000'],
  scan: ['--files', '20000', '--runs', '2'],
  'whisper-fill': ['--pairs', '20', '--cli', '5', '--peer-runs', '5'],
};

interface Options {
  list: boolean;
  quick: boolean;
  json: boolean;
  readme: boolean;
  names: string[];
  extra: string[];
}

class UsageError extends Error {}

function benches(): string[] {
  return readdirSync(HERE)
    .filter((f) => f.endsWith('.js') && !NOT_BENCHES.has(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** The first sentence of the bench's header comment (bench/<name>.ts), cut to one line. */
function describe(name: string): string {
  const src = join(ROOT, 'bench', `${name}.ts`);
  if (!existsSync(src)) return '';
  const comment: string[] = [];
  for (const line of readFileSync(src, 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    comment.push(line.replace(/^\/\/ ?/, ''));
  }
  const text = comment.join(' ');
  const end = text.search(/\.(\s|$)/);
  const sentence = (end < 0 ? text : text.slice(0, end)).trim();
  return sentence.length <= 110 ? sentence : `${sentence.slice(0, 109).trimEnd()}…`;
}

export function parseArgs(argv: string[], known: string[]): Options {
  const o: Options = { list: false, quick: false, json: false, readme: false, names: [], extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.extra.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--list') o.list = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--readme') o.readme = true;
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (o.extra.length === 0 && known.includes(a)) o.names.push(a);
    else if (o.extra.length === 0 && !a.startsWith('-') && !/^\d/.test(a)) {
      throw new UsageError(`unknown bench "${a}" (benches: ${known.join(', ')}; pass a bench's own arguments after --)`);
    } else o.extra.push(a);
  }
  return o;
}

/** Runs one bench: stderr shown live, stdout rows collected (other stdout lines shown on stderr). */
function runBench(name: string, args: string[]): Promise<{ rows: BenchRow[]; code: number }> {
  const rows: BenchRow[] = [];
  const child = spawn(process.execPath, [join(HERE, `${name}.js`), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      parsed = undefined;
    }
    if (isBenchRow(parsed)) rows.push(parsed);
    else process.stderr.write(line + '\n');
  });
  return new Promise((res) => {
    child.on('close', (code, signal) => res({ rows, code: code ?? (signal ? 128 : 1) }));
  });
}

/** 3 significant digits, k/M above 10,000. */
export function formatValue(v: number | null): string {
  if (v === null) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

/** How many times better ringshift's row is than the peer's (> 1: ringshift is better). */
export function ratio(ours: BenchRow | undefined, peer: BenchRow): string {
  if (!ours || ours.value === null || peer.value === null || ours.value === 0 || peer.value === 0) return '';
  const r = ours.better === 'higher' ? ours.value / peer.value : peer.value / ours.value;
  return `${r.toPrecision(3)}×`;
}

const isOurs = (r: BenchRow): boolean => r.tool.startsWith('ringshift');

/** One table: a group per (bench, case, metric), ringshift's rows first, peers with their ratio. */
export function table(rows: BenchRow[]): string {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.bench, r.case, r.metric]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const head = ['bench', 'case', 'tool', 'metric', 'value', 'ringshift ×', 'note'];
  const body: string[][] = [];
  for (const g of groups.values()) {
    const ordered = [...g.filter(isOurs), ...g.filter((r) => !isOurs(r))];
    const ours = ordered.find(isOurs);
    ordered.forEach((r, i) => {
      const metric = `${r.metric} ${r.better === 'higher' ? '↑' : '↓'}`;
      body.push([
        i === 0 ? r.bench : '',
        i === 0 ? r.case : '',
        r.tool,
        metric,
        formatValue(r.value),
        isOurs(r) ? '' : ratio(ours, r),
        r.note ?? '',
      ]);
    });
  }
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((x, c) => (c === 4 || c === 5 ? x.padStart(widths[c]!) : x.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

const LEGEND =
  "↑ higher is better, ↓ lower is better. ringshift ×: how many times better the case's first ringshift row is than the peer (> 1: ringshift is better)";
const README_BEGIN = '<!-- bench-table: begin (written by npm run bench -- --readme) -->';
const README_END = '<!-- bench-table: end -->';

/** README.md with the block between the bench-table markers replaced by this run's table. */
export function readmeWithTable(readme: string, command: string, machine: string, tableText: string): string {
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README.md has no bench-table markers (${README_BEGIN} … ${README_END})`);
  const block = [README_BEGIN, `Measured with \`${command}\` (${machine}):`, '', '```text', tableText, '', LEGEND, '```', ''].join('\n');
  return readme.slice(0, a) + block + readme.slice(b);
}

async function main(): Promise<number> {
  const known = benches();
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2), known);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message !== '') process.stderr.write(`bench: error: ${e.message}\n`);
    process.stderr.write('usage: npm run bench -- [--list] [--quick] [--json] [--readme] [BENCH…] [-- ARGS…]\n');
    return e.message === '' ? 0 : 2;
  }
  if (o.list) {
    const w = Math.max(...known.map((n) => n.length));
    for (const n of known) process.stdout.write(`${n.padEnd(w)}  ${describe(n)}${QUICK_ARGS[n] ? '' : ' (no --quick sizes)'}\n`);
    return 0;
  }
  if (o.readme) {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const why =
      o.names.length > 0
        ? '--readme writes the whole table: run every bench (no bench names)'
        : !readme.includes(README_BEGIN) || !readme.includes(README_END)
          ? `README.md has no bench-table markers (${README_BEGIN} … ${README_END})`
          : '';
    if (why !== '') {
      process.stderr.write(`bench: error: ${why}\n`);
      return 2;
    }
  }
  const selected = o.names.length > 0 ? o.names : known;
  const load = loadavg()[0]!.toFixed(1);
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  for (const name of selected) {
    const args = [...(o.quick ? (QUICK_ARGS[name] ?? []) : []), ...o.extra];
    process.stderr.write(`\n== bench ${name}${args.length > 0 ? ` ${args.join(' ')}` : ''}\n`);
    const r = await runBench(name, args);
    rows.push(...r.rows);
    if (r.code !== 0) failed.push(`${name} (exit ${r.code})`);
    else if (r.rows.length === 0) failed.push(`${name} (no result rows)`);
  }
  if (o.json) for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`\n${table(rows)}\n\n${LEGEND}\n`);
  }
  if (o.readme && failed.length === 0) {
    const args = process.argv.slice(2).filter((a) => a !== '--readme' && a !== '--json');
    const command = ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
    const date = new Date().toISOString().slice(0, 10);
    const machine = `${availableParallelism()} CPUs, load average ${load} at the start, node ${process.version}, ${date}`;
    const path = join(ROOT, 'README.md');
    writeFileSync(`${path}.tmp`, readmeWithTable(readFileSync(path, 'utf8'), command, machine, table(rows)));
    renameSync(`${path}.tmp`, path);
    process.stderr.write(`bench: README.md updated (${command})\n`);
  }
  if (failed.length > 0) {
    process.stderr.write(`bench: failed: ${failed.join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
