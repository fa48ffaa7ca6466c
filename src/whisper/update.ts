// whisper's write path (whisper-spec.md §5): update(), update_many() and propagation into the
// lower-precision archives, on the in-memory image of a WhisperFile (flush() writes it back).
import { aggregate, knownCount, meetsXff } from './aggregate.js';
import { WhisperError, WhisperUsageError } from './errors.js';
import { POINT_SIZE, alignDown, pmod, slotOf, type ArchiveInfo } from './file-format.js';
import { WhisperFile, type FlushResult } from './file.js';
import { lockAll } from './lock.js';
import { pythonSetOrder } from './python-set-order.js';

export type Point = readonly [timestamp: number, value: number];

/** `count` slots of archive `ai` starting at slot `first`, wrapping around the ring. */
function ringSlots(file: WhisperFile, ai: number, first: number, count: number): Buffer {
  const a = file.archive(ai);
  const head = Math.min(count, a.points - first);
  return head === count ? file.slots(ai, first, count) : Buffer.concat([file.slots(ai, first, head), file.slots(ai, 0, count - head)]);
}

/**
 * whisper's __propagate: aggregate the higher archive's slots of the lower interval containing
 * `timestamp` and, when enough are known (xFilesFactor), overwrite the lower archive's slot.
 */
export function propagate(file: WhisperFile, timestamp: number, higher: ArchiveInfo, lower: ArchiveInfo): boolean {
  const lowerStart = alignDown(timestamp, lower.secondsPerPoint);
  const hBase = file.base(higher.index);
  const first = hBase === 0 ? 0 : slotOf(lowerStart, hBase, higher.secondsPerPoint, higher.points);
  const n = lower.secondsPerPoint / higher.secondsPerPoint;
  const buf = ringSlots(file, higher.index, first, n);
  const neighbors: (number | null)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    neighbors[k] =
      buf.readUInt32BE(k * POINT_SIZE) === lowerStart + k * higher.secondsPerPoint ? buf.readDoubleBE(k * POINT_SIZE + 4) : null;
  }
  const known = knownCount(neighbors);
  if (!meetsXff(known, n, file.header.xFilesFactor)) return false;
  const value = aggregate(file.header.aggregationType, neighbors);
  const lBase = file.base(lower.index);
  const slot = lBase === 0 ? 0 : slotOf(lowerStart, lBase, lower.secondsPerPoint, lower.points);
  file.setPoint(lower.index, slot, lowerStart, value);
  return true;
}

/**
 * whisper's __archive_update_many: write chronologically ordered points into archive `ai` (one point
 * per interval: the last of equal intervals), then propagate level by level while anything propagates.
 */
export function archiveUpdateMany(file: WhisperFile, ai: number, points: readonly Point[]): void {
  const a = file.archive(ai);
  const step = a.secondsPerPoint;
  const aligned = points.map(([t, v]) => [t - pmod(t, step), v] as const);
  const runs: { start: number; values: number[] }[] = [];
  let prev: number | null = null;
  let run: number[] = [];
  for (let i = 0; i < aligned.length; i++) {
    if (i + 1 < aligned.length && aligned[i]![0] === aligned[i + 1]![0]) continue;
    const [interval, value] = aligned[i]!;
    if (!prev || interval === prev + step) run.push(value);
    else {
      runs.push({ start: prev - step * (run.length - 1), values: run });
      run = [value];
    }
    prev = interval;
  }
  if (run.length > 0) runs.push({ start: prev! - step * (run.length - 1), values: run });
  if (runs.length === 0) return;

  let base = file.base(ai);
  if (base === 0) base = runs[0]!.start;
  for (const r of runs) {
    let slot = slotOf(r.start, base, step, a.points);
    for (let k = 0; k < r.values.length; k++) {
      file.setPoint(ai, slot, r.start + k * step, r.values[k]!);
      if (++slot === a.points) slot = 0;
    }
  }

  let higher = a;
  for (const lower of file.header.archives.filter((x) => x.secondsPerPoint > step)) {
    // whisper iterates a Python set here, in hash-table order; when the lower archive is empty the
    // first interval propagated becomes its slot 0, so the same order gives the same bytes.
    const intervals = pythonSetOrder(aligned.map(([t]) => alignDown(t, lower.secondsPerPoint)));
    let any = false;
    for (const t of intervals) if (propagate(file, t, higher, lower)) any = true;
    if (!any) break;
    higher = lower;
  }
}

/**
 * whisper's file_update_many: points go, newest first, to the first archive (header order) whose
 * retention covers their age; future points go to the first archive; points older than the last
 * archive are dropped. Within one interval the greatest timestamp wins, then the earliest in input.
 */
export function updateManyOpen(file: WhisperFile, points: readonly Point[], now: number): void {
  if (points.length === 0) return;
  const pts = points.map(([t, v]) => [Math.trunc(t), Number(v)] as const).sort((x, y) => y[0] - x[0]);
  const archives = file.header.archives;
  let ai = 0;
  let batch: Point[] = [];
  for (const p of pts) {
    const age = now - p[0];
    while (ai < archives.length && archives[ai]!.retention < age) {
      if (batch.length > 0) {
        archiveUpdateMany(file, ai, batch.reverse());
        batch = [];
      }
      ai++;
    }
    if (ai >= archives.length) break;
    batch.push(p);
  }
  if (ai < archives.length && batch.length > 0) archiveUpdateMany(file, ai, batch.reverse());
}

/** whisper's file_update: one point into the finest archive covering its age, then propagation. */
export function updateOpen(file: WhisperFile, value: number, timestamp: number, now: number): void {
  const t = Math.trunc(timestamp);
  const diff = now - t;
  if (!(diff < file.header.maxRetention && diff >= 0)) {
    throw new WhisperError(
      'TimestampNotCovered',
      `timestamp ${t} is not covered by any archive at now=${now} (future, or older than maxRetention)`,
      file.path,
    );
  }
  const archives = file.header.archives;
  const i = archives.findIndex((a) => a.retention >= diff);
  const a = archives[i]!;
  const interval = alignDown(t, a.secondsPerPoint);
  const base = file.base(i);
  file.setPoint(i, base === 0 ? 0 : slotOf(interval, base, a.secondsPerPoint, a.points), interval, value);
  let higher = a;
  for (const lower of archives.slice(i + 1)) {
    if (!propagate(file, interval, higher, lower)) break;
    higher = lower;
  }
}

export interface WriteOptions {
  /** The clock (integer seconds). */
  now: number;
  /** flock the file exclusively while writing (default true). */
  lock?: boolean;
  lockTimeoutMs?: number;
  /** fdatasync after writing (default true). */
  sync?: boolean;
}

async function withWritable<T>(path: string, opts: WriteOptions, body: (f: WhisperFile) => T): Promise<T & { flushed: FlushResult }> {
  if (!Number.isSafeInteger(opts.now))
    throw new WhisperUsageError('InvalidArguments', `now must be an integer number of seconds, got ${opts.now}`);
  const file = WhisperFile.open(path, { write: true, strict: true });
  try {
    if (opts.lock ?? true) await lockAll([{ fd: file.fd, path, mode: 'ex' }], opts.lockTimeoutMs);
    const out = body(file);
    return { ...out, flushed: file.flush(opts.sync ?? true) };
  } finally {
    file.close();
  }
}

/** whisper.update_many(path, points) with an explicit clock; the file must pass the structural check. */
export async function updateMany(path: string, points: readonly Point[], opts: WriteOptions): Promise<void> {
  if (points.length === 0) return;
  await withWritable(path, opts, (f) => (updateManyOpen(f, points, opts.now), {}));
}

/** whisper.update(path, value, timestamp) with an explicit clock. */
export async function update(path: string, value: number, timestamp: number | undefined, opts: WriteOptions): Promise<void> {
  await withWritable(path, opts, (f) => (updateOpen(f, value, timestamp ?? opts.now, opts.now), {}));
}

export interface UpdateReport {
  path: string;
  /** Points given. */
  points: number;
  /** Which whisper call they went through: update() for one point, update_many() for several. */
  call: 'update' | 'update_many';
  /** update_many: points older than every archive, dropped as whisper drops them. */
  dropped: number;
  /** Slots whose 12 bytes changed, per archive. */
  changedSlots: number[];
  bytesWritten: number;
}

/**
 * whisper-update's rule: one point goes through whisper.update (a timestamp outside the retention or in
 * the future is an error), several through whisper.update_many (future points go to the first archive,
 * points older than the last are dropped). Under an exclusive flock; only changed slots are written.
 */
export async function updatePoints(path: string, points: readonly Point[], opts: WriteOptions): Promise<UpdateReport> {
  if (points.length === 0) throw new WhisperUsageError('InvalidArguments', 'no points to write', 'TIMESTAMP:VALUE');
  const r = await withWritable(path, opts, (f) => {
    if (points.length === 1) {
      updateOpen(f, points[0]![1], points[0]![0], opts.now);
      return { call: 'update' as const, dropped: 0 };
    }
    const oldest = opts.now - f.header.archives[f.header.archives.length - 1]!.retention;
    const dropped = points.filter(([t]) => Math.trunc(t) < oldest).length;
    updateManyOpen(f, points, opts.now);
    return { call: 'update_many' as const, dropped };
  });
  return { path, points: points.length, call: r.call, dropped: r.dropped, ...r.flushed };
}
