// Gap-only fill, ringshift's default reconcile: exactly the `fill_gaps` rule of the shared vectors'
// README. Each dst archive is filled on its own, only in empty slots of its fetch window, from src's
// equal-step archive or else from an aggregate of src's finest finer archive that covers the whole
// bucket (dst's method and xFilesFactor). No existing point is touched, nothing is propagated.
import { aggregate, meetsXff } from './aggregate.js';
import { WhisperUsageError } from './errors.js';
import { MAX_TIMESTAMP, POINT_SIZE, archiveWindow, slotOf, type ArchiveInfo } from './format.js';
import type { WhisperFile } from './file.js';
import { openPair, type PairOptions } from './pair.js';

export interface FillGapsOptions extends PairOptions {
  /** The clock (integer seconds). Library callers pass it; commands use the system clock. */
  now: number;
  /** Only slots with timestamp ≥ from. */
  from?: number;
  /** Only slots with timestamp < until. */
  until?: number;
  /** Compute the report without writing anything. */
  dryRun?: boolean;
  /** fdatasync after writing (default true). */
  sync?: boolean;
}

export interface ArchiveFillReport {
  index: number;
  secondsPerPoint: number;
  points: number;
  /** Empty slots of the archive's window (inside from/until) before the fill. */
  gaps: number;
  /** Slots written. */
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

/** Validate the time arguments like the vectors' InvalidArguments refusal. */
export function checkWindowArgs(now: number, from?: number, until?: number): void {
  if (!Number.isSafeInteger(now)) throw new WhisperUsageError('InvalidArguments', `now must be an integer number of seconds, got ${now}`);
  for (const [name, v] of [
    ['from', from],
    ['until', until],
  ] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) throw new WhisperUsageError('InvalidArguments', `${name} must be an integer number of seconds, got ${v}`);
  }
  if (from !== undefined && until !== undefined && from > until) {
    throw new WhisperUsageError('InvalidArguments', `from ${from} is after until ${until}`);
  }
}

/**
 * Slots of one archive for a run of times, in time order: slot k holds time t0 + k·step when its
 * stored timestamp says so. One or two positioned reads; null when the archive was never written.
 */
class TimeSegment {
  constructor(
    readonly t0: number,
    readonly step: number,
    readonly buf: Buffer,
  ) {}

  static read(file: WhisperFile, ai: number, tFirst: number, tLast: number): TimeSegment | null {
    const a = file.archive(ai);
    const base = file.base(ai);
    if (base === 0) return null;
    const count = (tLast - tFirst) / a.secondsPerPoint + 1;
    const first = slotOf(tFirst, base, a.secondsPerPoint, a.points);
    const head = Math.min(count, a.points - first);
    const buf = head === count ? file.slots(ai, first, count) : Buffer.concat([file.slots(ai, first, head), file.slots(ai, 0, count - head)]);
    return new TimeSegment(tFirst, a.secondsPerPoint, buf);
  }

  /** Byte offset of time t's point in buf when the slot holds t, else -1. */
  at(t: number): number {
    const at = ((t - this.t0) / this.step) * POINT_SIZE;
    return this.buf.readUInt32BE(at) === t ? at : -1;
  }
}

interface Candidate {
  t: number;
  /** Raw source bytes (value at `at`) or an aggregated value. */
  raw?: Buffer;
  at?: number;
  value?: number;
}

/** Empty slots of dst archive `i` in its window ∩ [from, until), in time order. */
function emptySlots(dst: WhisperFile, a: ArchiveInfo, now: number, from?: number, until?: number): number[] {
  const s = a.secondsPerPoint;
  const img = dst.load(a.index);
  const base = img.readUInt32BE(0);
  const [w0, w1] = archiveWindow(a, now);
  let start = Math.max(w0, s);
  if (from !== undefined && from > start) start = Math.ceil(from / s) * s;
  let end = Math.min(w1, MAX_TIMESTAMP + 1);
  if (until !== undefined && until < end) end = until;
  const out: number[] = [];
  if (start >= end) return out;
  if (base === 0) {
    for (let t = start; t < end; t += s) out.push(t);
    return out;
  }
  let slot = slotOf(start, base, s, a.points);
  for (let t = start; t < end; t += s) {
    const ts = img.readUInt32BE(slot * POINT_SIZE);
    if (ts < t) out.push(t); // 0 (never written) or stale; ts === t is a point, ts > t a future point
    if (++slot === a.points) slot = 0;
  }
  return out;
}

/** Candidates for the empty times of one dst archive, from src (README rule 3). */
function candidatesFor(src: WhisperFile, dst: WhisperFile, a: ArchiveInfo, empties: readonly number[], now: number): Candidate[] {
  const s = a.secondsPerPoint;
  const srcArchives = src.header.archives;
  const equal = srcArchives.find((x) => x.secondsPerPoint === s);
  const eqWin = equal ? archiveWindow(equal, now) : undefined;
  const finer = srcArchives
    .filter((x) => x.secondsPerPoint < s && s % x.secondsPerPoint === 0)
    .sort((x, y) => x.secondsPerPoint - y.secondsPerPoint)
    .map((x) => ({ a: x, win: archiveWindow(x, now) }));

  // Route each empty time to the src archive that decides it.
  const direct: number[] = [];
  const viaFiner: number[][] = finer.map(() => []);
  for (const t of empties) {
    if (eqWin && t >= eqWin[0] && t < eqWin[1]) {
      direct.push(t);
      continue;
    }
    const k = finer.findIndex((f) => t >= f.win[0] && t + s <= f.win[1]);
    if (k >= 0) viaFiner[k]!.push(t);
  }

  const out: Candidate[] = [];
  if (direct.length > 0) {
    const seg = TimeSegment.read(src, equal!.index, direct[0]!, direct[direct.length - 1]!);
    if (seg) {
      for (const t of direct) {
        const at = seg.at(t);
        if (at >= 0) out.push({ t, raw: seg.buf, at: at + 4 });
      }
    }
  }
  const method = dst.header.aggregationType;
  const xff = dst.header.xFilesFactor;
  finer.forEach((f, k) => {
    const times = viaFiner[k]!;
    if (times.length === 0) return;
    const fs = f.a.secondsPerPoint;
    const n = s / fs;
    const seg = TimeSegment.read(src, f.a.index, times[0]!, times[times.length - 1]! + s - fs);
    if (!seg) return;
    const bucket: (number | null)[] = new Array(n);
    for (const t of times) {
      let known = 0;
      for (let j = 0; j < n; j++) {
        const at = seg.at(t + j * fs);
        if (at >= 0) {
          bucket[j] = seg.buf.readDoubleBE(at + 4);
          known++;
        } else bucket[j] = null;
      }
      if (meetsXff(known, n, xff)) out.push({ t, value: aggregate(method, bucket) });
    }
  });
  return out;
}

/** Compute and (unless dryRun) write the gap-only fill of open files; returns the report. */
export function fillGapsOpen(src: WhisperFile, dst: WhisperFile, opts: FillGapsOptions): FillReport {
  const archives: ArchiveFillReport[] = [];
  for (const a of dst.header.archives) {
    const empties = emptySlots(dst, a, opts.now, opts.from, opts.until);
    const cands = empties.length > 0 ? candidatesFor(src, dst, a, empties, opts.now) : [];
    if (cands.length > 0 && !opts.dryRun) {
      // A never-written archive gets its base from the oldest time written (what update_many does).
      let base = dst.load(a.index).readUInt32BE(0);
      if (base === 0) base = cands.reduce((m, c) => Math.min(m, c.t), Infinity);
      for (const c of cands) {
        const slot = slotOf(c.t, base, a.secondsPerPoint, a.points);
        if (c.raw) dst.setPointRaw(a.index, slot, c.t, c.raw, c.at!);
        else dst.setPoint(a.index, slot, c.t, c.value!);
      }
    }
    archives.push({ index: a.index, secondsPerPoint: a.secondsPerPoint, points: a.points, gaps: empties.length, filled: cands.length });
  }
  const bytesWritten = opts.dryRun ? 0 : dst.flush(opts.sync ?? true).bytesWritten;
  const total = archives.reduce((n, r) => n + r.filled, 0);
  return { src: src.path, dst: dst.path, archives, total, changed: !opts.dryRun && total > 0, bytesWritten };
}

/**
 * fill_gaps(src, dst): copy src's points into dst's empty slots, never changing a point dst holds.
 * Refusals (WhisperError / WhisperUsageError with code InvalidArguments, DstMissing, SrcMissing,
 * SameFile, DstCorrupt, SrcCorrupt) leave dst byte-identical.
 */
export async function fillGaps(srcPath: string, dstPath: string, opts: FillGapsOptions): Promise<FillReport> {
  checkWindowArgs(opts.now, opts.from, opts.until);
  const pair = await openPair(srcPath, dstPath, opts);
  try {
    return fillGapsOpen(pair.src, pair.dst, opts);
  } finally {
    pair.close();
  }
}
