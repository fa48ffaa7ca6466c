// The bench protocol: a bench prints what it is doing for a person on stderr and its results on stdout as
// NDJSON rows, one per measurement, so `npm run bench` (bench/run.ts) can put every bench and its peers
// in one table. startBench() sends console.log to stderr for the rest of the process (a bench's
// console.log is its human text) and returns the row writer.
import { format } from 'node:util';

export type Better = 'lower' | 'higher';

export interface BenchRow {
  bench: string;
  /** What was measured, e.g. "100 files, 330 MB, warm cache". Peers of one case share it. */
  case: string;
  /** "ringshift …" for ours (the first ringshift row of a case is the one peers are compared with). */
  tool: string;
  metric: string;
  /** null: not measured (a peer that is not installed); the note says why. */
  value: number | null;
  better: Better;
  note?: string;
}

export interface RowWriter {
  row(r: Omit<BenchRow, 'bench'>): void;
  /** A peer that could not run: value null, note "not available: why". */
  notAvailable(r: Omit<BenchRow, 'bench' | 'value' | 'note'>, why: string): void;
}

/** 4 significant digits: enough for a benchmark, stable enough to diff. */
function rounded(v: number | null): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  return Number(v.toPrecision(4));
}

export function isBenchRow(x: unknown): x is BenchRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r.bench === 'string' &&
    typeof r.case === 'string' &&
    typeof r.tool === 'string' &&
    typeof r.metric === 'string' &&
    (typeof r.value === 'number' || r.value === null) &&
    (r.better === 'lower' || r.better === 'higher')
  );
}

export function startBench(bench: string): RowWriter {
  console.log = (...args: unknown[]): void => {
    process.stderr.write(format(...args) + '\n');
  };
  const write = (r: BenchRow): void => {
    const out: BenchRow = { ...r, value: rounded(r.value) };
    if (out.note === undefined || out.note === '') delete out.note;
    process.stdout.write(JSON.stringify(out) + '\n');
  };
  return {
    row: (r) => write({ bench, ...r }),
    notAvailable: (r, why) => write({ bench, ...r, value: null, note: `not available: ${why}` }),
  };
}
