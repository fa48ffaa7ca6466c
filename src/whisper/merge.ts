// whisper-merge (whisper.merge; whisper-spec.md §7): identical layouts only; for each archive from
// the finest, every src point in the window overwrites dst's, then propagates through dst's coarser
// archives. src wins wherever it has a value. Unlike whisper it locks dst, writes only changed slots
// (no quadratic run building) and refuses corrupt files before writing.
import { WhisperError, WhisperUsageError, refusingPair } from './errors.js';
import { retentionString } from './file-format.js';
import { archiveFetch } from './fetch.js';
import { flushChangedSlotsReport, type FillReport } from './fill-gaps.js';
import type { WhisperFile } from './file.js';
import { openPair, type PairOptions } from './pair.js';
import { archiveUpdateMany, type Point } from './update.js';

export interface MergeOptions extends PairOptions {
  /** The clock (integer seconds). */
  now: number;
  /** Oldest time (whisper-merge --from; default 0). */
  from?: number | undefined;
  /** Newest time (whisper-merge --until; default now). */
  until?: number | undefined;
  sync?: boolean | undefined;
}

function layout(f: WhisperFile): string {
  return f.header.archives.map((a) => `${retentionString(a)}@${a.offset}`).join(',');
}

function checkArgs(opts: MergeOptions): { fromTime: number; untilTime: number } {
  for (const [name, v] of [
    ['now', opts.now],
    ['from', opts.from],
    ['until', opts.until],
  ] as const) {
    if (v !== undefined && !Number.isSafeInteger(v))
      throw new WhisperUsageError('InvalidArguments', `${name} must be an integer number of seconds, got ${v}`);
  }
  const untilTime = opts.until ?? opts.now;
  const fromTime = opts.from ?? 0;
  if (untilTime < fromTime) throw new WhisperUsageError('InvalidArguments', `until ${untilTime} is before from ${fromTime}`);
  return { fromTime, untilTime };
}

/** whisper.file_merge on open files; the report counts slots whose bytes changed. */
export function mergeOpen(src: WhisperFile, dst: WhisperFile, opts: MergeOptions): FillReport {
  const { fromTime, untilTime } = checkArgs(opts);
  const same =
    src.header.archives.length === dst.header.archives.length &&
    src.header.archives.every((a, i) => {
      const b = dst.header.archives[i]!;
      return a.offset === b.offset && a.secondsPerPoint === b.secondsPerPoint && a.points === b.points;
    });
  if (!same) {
    throw new WhisperError(
      'LayoutMismatch',
      `archive configurations are unalike (source ${src.path}: ${layout(src)}; destination: ${layout(dst)}); resize the input before merging, or use fill`,
      dst.path,
    );
  }
  const now = opts.now;
  const copied = dst.header.archives.map(() => 0);
  for (const a of [...src.header.archives].sort((x, y) => x.retention - y.retention)) {
    const archiveFrom = Math.max(fromTime, now - a.retention);
    if (untilTime < now - a.retention) continue;
    const r = archiveFetch(src, a.index, archiveFrom, untilTime);
    const points: Point[] = [];
    r.values.forEach((v, k) => {
      if (v !== null) points.push([r.start + k * r.step, v]);
    });
    if (points.length === 0) continue;
    copied[a.index] = points.length;
    archiveUpdateMany(dst, a.index, points);
  }
  return flushChangedSlotsReport(src, dst, copied, opts);
}

/** whisper-merge SRC DST [--from] [--until] with an explicit clock. */
export async function merge(srcPath: string, dstPath: string, opts: MergeOptions): Promise<FillReport> {
  try {
    checkArgs(opts);
    const pair = await openPair(srcPath, dstPath, opts);
    try {
      return mergeOpen(pair.src, pair.dst, opts);
    } finally {
      pair.close();
    }
  } catch (err) {
    throw refusingPair(err, srcPath, dstPath);
  }
}
