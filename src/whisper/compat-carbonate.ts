// carbonate's whisper-fill (fill_archives / fill, carbonate 1.1.10; whisper-spec.md §8) reproduced at
// the slot level for users who need the same results as before: 0.0 counts as a gap, the first point
// after each gap is rewritten, coarse values may bleed into a finer archive, every write propagates.
// Unlike carbonate it refuses corrupt files before writing and holds the lock for the whole run.
import { refusingPair } from './errors.js';
import { WhisperFile } from './file.js';
import { fetchOpen } from './fetch.js';
import { checkWindowArgs, flushChangedSlotsReport, type FillReport } from './fill-gaps.js';
import { openPair, pathText, type FsPath, type PairOptions } from './pair.js';
import { updateManyOpen, type Point } from './update.js';

export interface CarbonateFillOptions extends PairOptions {
  /** The clock (integer seconds). */
  now: number;
  /** Newest time considered (carbonate's startFrom; default now). */
  startFrom?: number | undefined;
  /** Oldest time considered (carbonate's endAt; default 0). */
  endAt?: number | undefined;
  /** Treat every slot as a gap: copy everything src has (carbonate --overwrite). */
  overwrite?: boolean | undefined;
  sync?: boolean | undefined;
}

/** carbonate's fill(src, dst, tstart, tstop): copy (tstart, tstop] from src's finest archives. */
function fillRange(src: WhisperFile, dst: WhisperFile, tstart: number, tstop: number, now: number): void {
  const srcTime = now - src.header.maxRetention;
  if (tstart < srcTime && tstop < srcTime) return;
  const archives = [...src.header.archives].sort((a, b) => a.retention - b.retention);
  for (const a of archives) {
    const rtime = now - a.retention;
    if (tstop <= rtime) continue;
    const fromTime = rtime > tstart ? rtime : tstart;
    const r = fetchOpen(src, fromTime, tstop, { now });
    if (r) {
      const points: Point[] = [];
      r.values.forEach((v, k) => {
        if (v !== null) points.push([r.start + k * r.step, v]);
      });
      updateManyOpen(dst, points, now);
    }
    tstop = fromTime;
    if (tstart === tstop) return;
  }
}

/** carbonate's fill_archives on open files; the report counts slots whose bytes changed. */
export function carbonateFillOpen(src: WhisperFile, dst: WhisperFile, opts: CarbonateFillOptions): FillReport {
  const now = opts.now;
  let startFrom = opts.startFrom ?? now;
  const endAt = opts.endAt ?? 0;
  const gapsPerArchive = dst.header.archives.map(() => 0);
  const archives = [...dst.header.archives].sort((a, b) => a.retention - b.retention);
  for (const a of archives) {
    const fromTime = Math.max(endAt, now - a.retention);
    if (fromTime >= startFrom) continue;
    const r = fetchOpen(dst, fromTime, startFrom, { now });
    if (r) {
      let start = r.start;
      let gapstart: number | null = null;
      for (const v of r.values) {
        // Python truthiness: None, 0.0 and -0.0 are gaps, NaN is a value.
        const hasValue = v !== null && v !== 0 && !opts.overwrite;
        if (!hasValue && !gapstart) gapstart = start;
        else if (hasValue && gapstart) {
          gapsPerArchive[a.index]! += (start - gapstart) / r.step;
          if (start - gapstart >= a.secondsPerPoint) fillRange(src, dst, gapstart - r.step, start, now);
          gapstart = null;
        }
        start += r.step;
      }
      if (gapstart) {
        gapsPerArchive[a.index]! += (r.end - gapstart) / r.step;
        fillRange(src, dst, gapstart - r.step, r.end - r.step, now);
      }
    }
    startFrom = fromTime;
  }
  return flushChangedSlotsReport(src, dst, gapsPerArchive, opts);
}

/** carbonate whisper-fill SRC DST (fill_archives) with an explicit clock. */
export async function carbonateFill(srcPath: FsPath, dstPath: FsPath, opts: CarbonateFillOptions): Promise<FillReport> {
  try {
    checkWindowArgs(opts.now, opts.endAt, opts.startFrom);
    const pair = await openPair(srcPath, dstPath, opts);
    try {
      return carbonateFillOpen(pair.src, pair.dst, opts);
    } finally {
      pair.close();
    }
  } catch (err) {
    throw refusingPair(err, pathText(srcPath), pathText(dstPath));
  }
}
