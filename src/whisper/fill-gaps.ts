// Gap-only fill, ringshift's default reconcile: exactly the `fill_gaps` rule (whisper-spec.md §14, the
// whisper vectors' op `fill_gaps`). Each dst archive is filled on its own, only in empty slots of its
// fetch window, from src's equal-step archive or else from an aggregate of src's finest finer archive
// that covers the whole bucket (dst's method and xFilesFactor). No existing point is touched, nothing
// is propagated.
import { aggregate, meetsXff } from './aggregate.js';
import { fdatasync } from 'node:fs';
import { WhisperUsageError, asPairError, ioError, refusingPair } from './errors.js';
import { MAX_TIMESTAMP, POINT_SIZE, archiveWindow, slotOf, type ArchiveInfo } from './file-format.js';
import { WhisperFile, type MemoryWrite } from './file.js';
import { openPair, pathText, type FsPath, type PairOptions, type WhisperImage } from './pair.js';

export interface FillGapsOptions extends PairOptions {
  /** The clock (integer seconds). Library callers pass it; commands use the system clock. */
  now: number;
  /** Only slots with timestamp ≥ from. */
  from?: number | undefined;
  /** Only slots with timestamp < until. */
  until?: number | undefined;
  /** fdatasync after writing (default true). */
  sync?: boolean | undefined;
}

export interface ArchiveFillReport {
  index: number;
  secondsPerPoint: number;
  points: number;
  /**
   * fillGaps: empty slots of the archive's window (inside from/until) before the fill.
   * carbonateFill: slots inside the gaps its scan found. merge: src points copied into the archive.
   */
  gaps: number;
  /** fillGaps: slots written (would be, for a dry run). carbonateFill, merge: slots whose bytes changed. */
  filled: number;
}

export interface FillReport {
  src: string;
  dst: string;
  archives: ArchiveFillReport[];
  total: number;
  changed: boolean;
  /** Bytes written to dst (0 for a dry run). */
  bytesWritten: number;
}

/**
 * Flush dst's changed slots (written unless dryRun) and report per dst archive `gaps[index]` and the
 * slots whose bytes changed: the ending of the carbonate-compatible fill and of merge.
 */
export function flushChangedSlotsReport(
  src: WhisperFile,
  dst: WhisperFile,
  gaps: readonly number[],
  opts: { sync?: boolean | undefined; dryRun?: boolean | undefined },
): FillReport {
  const { changedSlots, bytesWritten } = dst.flush(opts.sync ?? true, !opts.dryRun);
  const archives: ArchiveFillReport[] = dst.header.archives.map((a) => ({
    index: a.index,
    secondsPerPoint: a.secondsPerPoint,
    points: a.points,
    gaps: gaps[a.index]!,
    filled: changedSlots[a.index]!,
  }));
  const total = archives.reduce((n, x) => n + x.filled, 0);
  return { src: src.path, dst: dst.path, archives, total, changed: bytesWritten > 0, bytesWritten };
}

/** Validate the time arguments like the vectors' InvalidArguments refusal. */
export function checkWindowArgs(now: number, from?: number, until?: number): void {
  if (!Number.isSafeInteger(now)) throw new WhisperUsageError('InvalidArguments', `now must be an integer number of seconds, got ${now}`);
  for (const [name, v] of [
    ['from', from],
    ['until', until],
  ] as const) {
    if (v !== undefined && !Number.isSafeInteger(v))
      throw new WhisperUsageError('InvalidArguments', `${name} must be an integer number of seconds, got ${v}`);
  }
  if (from !== undefined && until !== undefined && from > until) {
    throw new WhisperUsageError('InvalidArguments', `from ${from} is after until ${until}`);
  }
}

/**
 * Slots of one src archive for a run of times, in time order: entry k is the slot of t0 + k·step
 * (it holds that time when its stored timestamp says so). One or two positioned reads; null when the
 * archive was never written.
 */
class TimeSegment {
  readonly view: DataView;
  constructor(
    readonly t0: number,
    readonly step: number,
    readonly buf: Buffer,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  static read(file: WhisperFile, ai: number, tFirst: number, tLast: number): TimeSegment | null {
    const a = file.archive(ai);
    const base = file.base(ai);
    if (base === 0) return null;
    const count = (tLast - tFirst) / a.secondsPerPoint + 1;
    const first = slotOf(tFirst, base, a.secondsPerPoint, a.points);
    const head = Math.min(count, a.points - first);
    const buf =
      head === count ? file.slots(ai, first, count) : Buffer.concat([file.slots(ai, first, head), file.slots(ai, 0, count - head)]);
    return new TimeSegment(tFirst, a.secondsPerPoint, buf);
  }

  /** Byte offset of time t's point when its slot holds t, else -1. */
  at(t: number): number {
    const at = ((t - this.t0) / this.step) * POINT_SIZE;
    return this.view.getUint32(at) === t ? at : -1;
  }
}

/** Writes the candidates of one dst archive; the first (oldest) one sets the base of an empty archive. */
class ArchiveWriter {
  filled = 0;
  private base: number;
  constructor(
    private readonly dst: WhisperFile,
    private readonly a: ArchiveInfo,
    private readonly dryRun: boolean,
  ) {
    this.base = dst.load(a.index).readUInt32BE(0);
  }

  private slot(t: number): number {
    if (this.base === 0) this.base = t;
    return slotOf(t, this.base, this.a.secondsPerPoint, this.a.points);
  }

  raw(t: number, src: Buffer, valueAt: number): void {
    this.filled++;
    if (!this.dryRun) this.dst.setPointRaw(this.a.index, this.slot(t), t, src, valueAt);
  }

  value(t: number, v: number): void {
    this.filled++;
    if (!this.dryRun) this.dst.setPoint(this.a.index, this.slot(t), t, v);
  }
}

/**
 * Runs [t0, t1) of empty slots of dst archive `a` inside its window ∩ [from, until), in time order
 * (flattened pairs), and their total. Empty = never written, or holding an older (stale) timestamp;
 * a slot holding its own time or a newer (future) one is a point.
 */
function emptyRuns(dst: WhisperFile, a: ArchiveInfo, now: number, from?: number, until?: number): { runs: number[]; count: number } {
  const s = a.secondsPerPoint;
  const img = dst.load(a.index);
  const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const base = view.getUint32(0);
  const [w0, w1] = archiveWindow(a, now);
  let start = Math.max(w0, s);
  if (from !== undefined && from > start) start = Math.ceil(from / s) * s;
  let end = Math.min(w1, MAX_TIMESTAMP + 1);
  if (until !== undefined && until < end) end = until;
  if (start >= end) return { runs: [], count: 0 };
  end = start + Math.ceil((end - start) / s) * s; // exclusive bound on the step grid
  if (base === 0) return { runs: [start, end], count: (end - start) / s };
  const runs: number[] = [];
  let count = 0;
  let runStart = -1;
  let at = slotOf(start, base, s, a.points) * POINT_SIZE;
  const wrapAt = img.byteLength;
  for (let t = start; t < end; t += s) {
    if (view.getUint32(at) < t) {
      count++;
      if (runStart < 0) runStart = t;
    } else if (runStart >= 0) {
      runs.push(runStart, t);
      runStart = -1;
    }
    at += POINT_SIZE;
    if (at === wrapAt) at = 0;
  }
  if (runStart >= 0) runs.push(runStart, end);
  return { runs, count };
}

interface SourcePlan {
  /** src archive with dst's step, and its window. */
  equal?: { a: ArchiveInfo; w0: number; w1: number } | undefined;
  /** src archives with a step dividing dst's, finest first, with the t range each can aggregate. */
  finer: { a: ArchiveInfo; lo: number; hi: number }[];
}

function planSources(src: WhisperFile, s: number, now: number): SourcePlan {
  const eq = src.header.archives.find((x) => x.secondsPerPoint === s);
  const equal = eq ? (([w0, w1]) => ({ a: eq, w0, w1 }))(archiveWindow(eq, now)) : undefined;
  const finer = src.header.archives
    .filter((x) => x.secondsPerPoint < s && s % x.secondsPerPoint === 0)
    .sort((x, y) => x.secondsPerPoint - y.secondsPerPoint)
    .map((x) => {
      const [w0, w1] = archiveWindow(x, now);
      // t on dst's grid with t >= w0 and t + s <= w1
      return { a: x, lo: Math.ceil(w0 / s) * s, hi: w1 - s };
    });
  return { equal, finer };
}

/** Rule 3a over [t0, t1): src's equal-step slot holding t is copied bit for bit. */
function fromEqual(src: WhisperFile, eq: ArchiveInfo, t0: number, t1: number, out: ArchiveWriter): void {
  const s = eq.secondsPerPoint;
  const seg = TimeSegment.read(src, eq.index, t0, t1 - s);
  if (!seg) return;
  const view = seg.view;
  for (let t = t0, at = 0; t < t1; t += s, at += POINT_SIZE) {
    if (view.getUint32(at) === t) out.raw(t, seg.buf, at + 4);
  }
}

/** Rule 3b over [t0, t1): aggregate the finest src archive covering each whole bucket, if xff is met. */
function fromFiner(src: WhisperFile, dst: WhisperFile, plan: SourcePlan, s: number, t0: number, t1: number, out: ArchiveWriter): void {
  if (plan.finer.length === 0) return;
  const n = (t1 - t0) / s;
  const choice = new Int8Array(n).fill(-1);
  const first: number[] = plan.finer.map(() => Infinity);
  const last: number[] = plan.finer.map(() => -Infinity);
  for (let k = 0, t = t0; k < n; k++, t += s) {
    const j = plan.finer.findIndex((f) => t >= f.lo && t <= f.hi);
    if (j < 0) continue;
    choice[k] = j;
    if (t < first[j]!) first[j] = t;
    last[j] = t;
  }
  const segs = plan.finer.map((f, j) =>
    first[j]! <= last[j]! ? TimeSegment.read(src, f.a.index, first[j]!, last[j]! + s - f.a.secondsPerPoint) : null,
  );
  const method = dst.header.aggregationType;
  const xff = dst.header.xFilesFactor;
  for (let k = 0, t = t0; k < n; k++, t += s) {
    const j = choice[k]!;
    const seg = j >= 0 ? segs[j] : null;
    if (!seg) continue;
    const f = plan.finer[j]!.a.secondsPerPoint;
    const m = s / f;
    const bucket: (number | null)[] = new Array(m);
    let known = 0;
    for (let i = 0; i < m; i++) {
      const at = seg.at(t + i * f);
      if (at >= 0) {
        bucket[i] = seg.view.getFloat64(at + 4);
        known++;
      } else bucket[i] = null;
    }
    if (meetsXff(known, m, xff)) out.value(t, aggregate(method, bucket));
  }
}

/** Compute and (unless dryRun) write the gap-only fill of open files; returns the report. */
export function fillGapsOpen(src: WhisperFile, dst: WhisperFile, opts: FillGapsOptions): FillReport {
  const archives: ArchiveFillReport[] = [];
  for (const a of dst.header.archives) {
    const s = a.secondsPerPoint;
    const { runs, count } = emptyRuns(dst, a, opts.now, opts.from, opts.until);
    const out = new ArchiveWriter(dst, a, !!opts.dryRun);
    if (runs.length > 0) {
      const plan = planSources(src, s, opts.now);
      // Runs in time order, each older part (3b) before its newer part (3a): candidates come oldest first.
      for (let r = 0; r < runs.length; r += 2) {
        const r0 = runs[r]!;
        const r1 = runs[r + 1]!;
        const split = plan.equal ? Math.min(Math.max(r0, plan.equal.w0), r1) : r1;
        if (split > r0) fromFiner(src, dst, plan, s, r0, split, out);
        if (split < r1) fromEqual(src, plan.equal!.a, split, r1, out);
      }
    }
    archives.push({ index: a.index, secondsPerPoint: s, points: a.points, gaps: count, filled: out.filled });
  }
  const bytesWritten = opts.dryRun ? 0 : dst.flush(opts.sync ?? true).bytesWritten;
  const total = archives.reduce((n, r) => n + r.filled, 0);
  return { src: src.path, dst: dst.path, archives, total, changed: !opts.dryRun && total > 0, bytesWritten };
}

/**
 * fill_gaps(src, dst): copy src's points into dst's empty slots, never changing a point dst holds.
 * Refusals (WhisperError / WhisperUsageError with code InvalidArguments, DstMissing, SrcMissing,
 * SameFile, DstCorrupt, SrcCorrupt) leave dst byte-identical. `srcPath` may be a file already read
 * into memory (then only dst is locked).
 */
export async function fillGaps(srcPath: FsPath | WhisperImage, dstPath: FsPath, opts: FillGapsOptions): Promise<FillReport> {
  try {
    checkWindowArgs(opts.now, opts.from, opts.until);
    const pair = await openPair(srcPath, dstPath, opts);
    try {
      const sync = opts.sync ?? true;
      const report = fillGapsOpen(pair.src, pair.dst, { ...opts, sync: false });
      // fdatasync in the thread pool, still under the locks: the caller learns of the fill only once it
      // is durable, and a batch can compute the next pair meanwhile.
      if (sync && report.bytesWritten > 0) await datasync(pair.dst);
      return report;
    } finally {
      pair.close();
    }
  } catch (err) {
    throw refusingPair(err, typeof srcPath === 'string' || Buffer.isBuffer(srcPath) ? pathText(srcPath) : srcPath.path, pathText(dstPath));
  }
}

function datasync(file: WhisperFile): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(file.fd, (err) => (err ? reject(ioError(err, file.path, 'sync')) : resolve())));
}

/**
 * fill_gaps between two files held in memory, for a dst that lives elsewhere (a remote node): the
 * caller fetched dst under its lock and replays `writes` (ranges of dst.data, ascending within each
 * archive, so slot 0 of an empty archive is written first) to the real file, then syncs it. dst.data
 * is updated in place unless dryRun. Same refusals as fillGaps, except DstMissing/SrcMissing/SameFile,
 * which only a caller that can see the files can decide.
 */
export function fillGapsImages(src: WhisperImage, dst: WhisperImage, opts: FillGapsOptions): { report: FillReport; writes: MemoryWrite[] } {
  try {
    checkWindowArgs(opts.now, opts.from, opts.until);
    let d: WhisperFile;
    try {
      d = WhisperFile.fromBuffer(dst.path, dst.data, { write: !opts.dryRun, strict: true });
      d.loadAll(true);
    } catch (err) {
      throw asPairError(err, 'DstCorrupt');
    }
    let s: WhisperFile;
    try {
      s = WhisperFile.fromBuffer(src.path, src.data, { strict: true });
    } catch (err) {
      throw asPairError(err, 'SrcCorrupt');
    }
    const report = fillGapsOpen(s, d, { ...opts, sync: false });
    return { report, writes: d.memWrites };
  } catch (err) {
    throw refusingPair(err, src.path, dst.path);
  }
}
