// `whisper fill --batch`: many (src, dst) pairs in one process, because starting node + oclif costs far
// more than a fill (one process per pair runs ~5 fills/s, the library ~120/s). Pairs are streamed from
// a file or stdin — lines "SRC<TAB>DST", or with -0 NUL-terminated fields alternating SRC and DST, so any
// name (spaces, tabs, newlines, bytes that are not UTF-8) gets through — and filled one at a time, each
// under its own locks exactly like a single `whisper fill`. A pair that is refused or fails is reported
// and the batch goes on.
import { carbonateFill } from './compat-carbonate.js';
import { WhisperError, WhisperUsageError } from './errors.js';
import { fillGaps, type FillReport } from './fill-gaps.js';
import { fsPathOf, pathText, type FsPath } from './fs-path.js';

/** One record of the batch input: a pair, or a record that is not one (reported, batch goes on). */
export type BatchRecord = { index: number; src: FsPath; dst: FsPath } | { index: number; problem: string };

/**
 * The records of a byte stream. Lines: "SRC<TAB>DST" (one trailing CR removed, blank lines skipped,
 * exactly one TAB). NUL mode: fields end with NUL and alternate SRC, DST (a last field without NUL
 * counts; an odd one out is a problem record). `index` counts records from 1.
 */
export async function* batchRecords(chunks: AsyncIterable<Buffer>, nul: boolean): AsyncGenerator<BatchRecord> {
  const sep = nul ? 0 : 0x0a;
  let carry: Buffer = Buffer.alloc(0);
  let index = 0;
  let pendingSrc: Buffer | undefined;
  function* take(field: Buffer): Generator<BatchRecord> {
    if (nul) {
      if (pendingSrc === undefined) pendingSrc = field;
      else {
        yield { index: ++index, src: fsPathOf(pendingSrc), dst: fsPathOf(field) };
        pendingSrc = undefined;
      }
      return;
    }
    let line = field;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length === 0) return;
    const tab = line.indexOf(0x09);
    if (tab <= 0 || tab === line.length - 1 || line.indexOf(0x09, tab + 1) >= 0) {
      yield {
        index: ++index,
        problem: `record ${index}: ${JSON.stringify(pathText(line))} is not SRC<TAB>DST (one tab; use -0 for names with tabs or newlines)`,
      };
      return;
    }
    yield { index: ++index, src: fsPathOf(line.subarray(0, tab)), dst: fsPathOf(line.subarray(tab + 1)) };
  }
  for await (const chunk of chunks) {
    // Chunks may be reused by the reader: copy what is carried over.
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let at = data.indexOf(sep, start); at >= 0; at = data.indexOf(sep, start)) {
      yield* take(Buffer.from(data.subarray(start, at)));
      start = at + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) yield* take(carry);
  if (nul && pendingSrc !== undefined) {
    yield {
      index: ++index,
      problem: `record ${index}: source ${JSON.stringify(pathText(fsPathOf(pendingSrc)))} has no destination (-0 wants SRC\\0DST\\0 pairs)`,
    };
  }
}

export interface BatchOptions {
  now: number;
  /** 'gaps' (the gap-only fill) or 'carbonate' (--compat carbonate). */
  mode: 'gaps' | 'carbonate';
  from?: number | undefined;
  until?: number | undefined;
  overwrite?: boolean | undefined;
  lock?: boolean | undefined;
  lockTimeoutMs?: number | undefined;
  dryRun?: boolean | undefined;
  sync?: boolean | undefined;
  /** Pairs in flight at once (default 2). */
  depth?: number | undefined;
  /** Checked between pairs: true stops the batch (SIGINT/SIGTERM). */
  stopped?: () => boolean;
}

export type BatchResult =
  | { index: number; ok: true; report: FillReport }
  | { index: number; ok: false; src: string; dst: string; code: string; error: string; exitCode: number };

export interface BatchSummary {
  pairs: number;
  changed: number;
  unchanged: number;
  failed: number;
  slots: number;
  seconds: number;
  stopped: boolean;
}

/** Fill every pair of `records` in turn, handing each result to `onResult` (which may await output). */
export async function fillBatch(
  records: AsyncIterable<BatchRecord>,
  opts: BatchOptions,
  onResult: (r: BatchResult) => void | Promise<void>,
): Promise<BatchSummary> {
  const t0 = process.hrtime.bigint();
  const sum: BatchSummary = { pairs: 0, changed: 0, unchanged: 0, failed: 0, slots: 0, seconds: 0, stopped: false };
  const common = { now: opts.now, lock: opts.lock, lockTimeoutMs: opts.lockTimeoutMs, dryRun: opts.dryRun, sync: opts.sync };
  const run = async (rec: BatchRecord): Promise<BatchResult> => {
    if ('problem' in rec) return { index: rec.index, ok: false, src: '', dst: '', code: 'BadRecord', error: rec.problem, exitCode: 1 };
    try {
      const report =
        opts.mode === 'carbonate'
          ? await carbonateFill(rec.src, rec.dst, { ...common, endAt: opts.from, startFrom: opts.until, overwrite: opts.overwrite })
          : await fillGaps(rec.src, rec.dst, { ...common, from: opts.from, until: opts.until });
      return { index: rec.index, ok: true, report };
    } catch (err) {
      if (!(err instanceof WhisperError || err instanceof WhisperUsageError)) throw err;
      const { code, message, exitCode } = err;
      return { index: rec.index, ok: false, src: pathText(rec.src), dst: pathText(rec.dst), code, error: message, exitCode };
    }
  };
  const deliver = async (result: BatchResult): Promise<void> => {
    if (result.ok) {
      if (result.report.total > 0) sum.changed++;
      else sum.unchanged++;
      sum.slots += result.report.total;
    } else sum.failed++;
    await onResult(result);
  };
  // Two pairs in flight: one pair's fdatasync (thread pool) overlaps the next pair's reads and compute.
  // Results are delivered in input order; pairs sharing a file simply wait for each other's lock.
  const inFlight: Promise<BatchResult>[] = [];
  const inFlightNames: { src: string; dst: string }[] = [];
  try {
    for await (const rec of records) {
      if (opts.stopped?.()) {
        sum.stopped = true;
        break;
      }
      sum.pairs++;
      // A pair that writes a file another pair in flight uses (or reads one it writes) waits for it here
      // rather than in the lock (where --lock-timeout 0 would turn our own overlap into a refusal).
      const names = 'problem' in rec ? [] : [pathText(rec.src), pathText(rec.dst)];
      if (names.length > 0 && inFlightNames.some((n) => n.dst === names[1] || n.dst === names[0] || n.src === names[1])) {
        while (inFlight.length > 0) {
          inFlightNames.shift();
          await deliver(await inFlight.shift()!);
        }
      }
      const p = run(rec);
      p.catch(() => undefined); // awaited below, in order
      inFlight.push(p);
      inFlightNames.push({ src: names[0] ?? '', dst: names[1] ?? '' });
      if (inFlight.length >= (opts.depth ?? 2)) {
        inFlightNames.shift();
        await deliver(await inFlight.shift()!);
      }
    }
  } finally {
    // Never leave a started pair behind, whatever happened to the input.
    while (inFlight.length > 0) {
      inFlightNames.shift();
      await deliver(await inFlight.shift()!);
    }
  }
  sum.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return sum;
}
