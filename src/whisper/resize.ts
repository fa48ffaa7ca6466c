// whisper-resize.py: a file with a new archive list (and optionally a new xFilesFactor or aggregation
// method) holding the old file's data, byte for byte what whisper-resize writes at the same clock:
// each old archive is fetched as whisper.fetch would (coarsest first, from now − retention + step to
// now), a fresh whisper.create image gets each fetch through whisper.update_many (so finer data lands
// last and propagates), and with --aggregate the script's resampling runs instead (its Python 2 logic:
// under Python 3 the script raises TypeError). Safer than the script: the old file is flock'ed and must
// pass the structural check, the new one is written to a temporary file, fsynced, and renamed over the
// old name (which always exists: the backup is a hard link made first, never a rename away).
import { copyFileSync, existsSync, fstatSync, linkSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { aggregate } from './aggregate.js';
import { WhisperError, WhisperUsageError, ioError } from './errors.js';
import { fetchOpen } from './fetch.js';
import { WhisperFile } from './file.js';
import { AGGREGATION_METHODS, POINT_SIZE, aggregationCode, encodeHeader, retentionString, type AggregationMethod } from './file-format.js';
import { fsyncDirectory, tempNameFor, writeNewFileSynced } from './durable-file.js';
import { lockAll } from './lock.js';
import { validateArchiveList } from './retention.js';
import { updateManyOpen, type Point } from './update.js';

export interface ResizeOptions {
  /** The clock (integer seconds). */
  now: number;
  /** New xFilesFactor (default: the file's). */
  xFilesFactor?: number | undefined;
  /** New aggregation method (default: the file's). */
  aggregationMethod?: AggregationMethod | undefined;
  /** Resample the old points into the new steps (whisper-resize --aggregate). */
  aggregate?: boolean | undefined;
  /** Keep the old file as FILE.bak (default true, as whisper-resize). */
  backup?: boolean | undefined;
  /** Write the result here instead of replacing FILE (whisper-resize --newfile); must not exist. */
  newFile?: string | undefined;
  /** Compute and report only. */
  dryRun?: boolean | undefined;
  lock?: boolean | undefined;
  lockTimeoutMs?: number | undefined;
}

export interface ResizeReport {
  path: string;
  /** Where the result went (path, or newFile). */
  output: string;
  from: string;
  to: string;
  aggregationMethod: AggregationMethod;
  xFilesFactor: number;
  size: number;
  /** Points handed to update_many (the old file's known points, or the resampled ones). */
  points: number;
  backup: string | null;
  dryRun: boolean;
}

/** Python's bisect.bisect_left (works the same on an unsorted list, as the script's can be). */
function bisectLeft(a: readonly number[], x: number, lo = 0): number {
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The new file's image: whisper.create's bytes, then the data migrated as whisper-resize migrates it. */
export function resizedImage(
  old: WhisperFile,
  archiveList: readonly (readonly [number, number])[],
  opts: ResizeOptions,
): { image: Buffer; points: number; method: AggregationMethod; xff: number } {
  const now = opts.now;
  const method = opts.aggregationMethod ?? old.header.aggregationMethod;
  const xffGiven = opts.xFilesFactor ?? old.header.xFilesFactor;
  const sorted = validateArchiveList(archiveList);
  const header = encodeHeader(aggregationCode(method), xffGiven, sorted);
  const image = Buffer.alloc(header.length + sorted.reduce((n, [, p]) => n + p * POINT_SIZE, 0));
  header.copy(image);
  const out = WhisperFile.fromBuffer('(new file)', image, { write: true });

  // Old archives coarsest first, each fetched as whisper.fetch(path, now - retention + step, now).
  const olds = [...old.header.archives].sort((a, b) => b.secondsPerPoint - a.secondsPerPoint);
  const data = olds.map((a) => fetchOpen(old, now - a.retention + a.secondsPerPoint, now, { now })!);
  let points = 0;
  if (!opts.aggregate) {
    for (const r of data) {
      const pts: Point[] = [];
      r.values.forEach((v, k) => {
        if (v !== null) pts.push([r.start + k * r.step, v]);
      });
      points += pts.length;
      updateManyOpen(out, pts, now);
    }
  } else {
    // all_datapoints: the coarsest archive whole, then each finer one from its first point newer than
    // the last one kept (Python 2's loop variable: the last point when none is newer).
    const ts: number[] = [];
    const vs: (number | null)[] = [];
    for (const r of data) {
      const n = r.values.length;
      let from = 0;
      if (ts.length > 0) {
        const last = ts[ts.length - 1]!;
        let i = 0;
        while (i < n && r.start + i * r.step <= last) i++;
        from = i < n ? i : Math.max(0, n - 1);
      }
      for (let k = from; k < n; k++) {
        ts.push(r.start + k * r.step);
        vs.push(r.values[k]!);
      }
    }
    const code = aggregationCode(method);
    for (const a of out.header.archives) {
      const step = a.secondsPerPoint;
      const first = now - a.retention + (now % step);
      const end = now + (now % step) + step;
      const pts: Point[] = [];
      for (let t = first; t + step < end; t += step) {
        const lefti = bisectLeft(ts, t);
        const righti = bisectLeft(ts, t + step, lefti);
        if (righti <= lefti) continue;
        const bucket = vs.slice(lefti, righti);
        const known = bucket.filter((v) => v !== null).length;
        // The script divides known by all as doubles against the xFilesFactor as given. With xff 0 it
        // also "aggregates" a bucket with no known value: sum and avg_zero give 0.0 (kept, for the same
        // bytes), the other methods crash the script (ZeroDivisionError, ValueError): left empty here.
        const zeroOk = code === 2 || code === 6;
        if ((known > 0 || zeroOk) && known / bucket.length >= xffGiven) pts.push([t, aggregate(code, bucket)]);
      }
      points += pts.length;
      updateManyOpen(out, pts, now);
    }
  }
  out.flush(false);
  return { image, points, method, xff: Math.fround(xffGiven) };
}

/** whisper-resize FILE RETENTION… with an explicit clock; see ResizeOptions. */
export async function resize(
  path: string,
  archiveList: readonly (readonly [number, number])[],
  opts: ResizeOptions,
): Promise<ResizeReport> {
  if (!Number.isSafeInteger(opts.now))
    throw new WhisperUsageError('InvalidArguments', `now must be an integer number of seconds, got ${opts.now}`);
  if (opts.aggregationMethod !== undefined && aggregationCode(opts.aggregationMethod) < 0) {
    throw new WhisperUsageError(
      'InvalidConfiguration',
      `unknown aggregation method '${opts.aggregationMethod}'`,
      AGGREGATION_METHODS.slice(1).join(', '),
    );
  }
  if (opts.xFilesFactor !== undefined && !(opts.xFilesFactor >= 0 && opts.xFilesFactor <= 1)) {
    throw new WhisperUsageError('InvalidConfiguration', `xFilesFactor ${opts.xFilesFactor} is not within [0, 1]`);
  }
  validateArchiveList(archiveList);
  const backup = opts.newFile === undefined && (opts.backup ?? true) ? `${path}.bak` : null;
  if (opts.newFile !== undefined && existsSync(opts.newFile))
    throw new WhisperError('Exists', 'file already exists (--newfile)', opts.newFile);
  if (backup !== null && existsSync(backup) && !opts.dryRun) {
    throw new WhisperError('Exists', `${backup} exists (an earlier backup): move it away, or resize with --no-backup`, path);
  }
  const old = WhisperFile.open(path, { strict: true });
  try {
    if (opts.lock ?? true)
      await lockAll([{ fd: old.fd, path, mode: opts.newFile === undefined && !opts.dryRun ? 'ex' : 'sh' }], opts.lockTimeoutMs);
    // What we read under the lock is what we replace: the file may have been swapped while we waited.
    const held = fstatSync(old.fd);
    let current: ReturnType<typeof statSync> | undefined;
    try {
      current = statSync(path);
    } catch {
      current = undefined;
    }
    if (!current || current.ino !== held.ino || current.dev !== held.dev) {
      throw new WhisperError('IO', 'the file was replaced or removed while waiting for its lock; run again', path);
    }
    const r = resizedImage(old, archiveList, opts);
    const report: ResizeReport = {
      path,
      output: opts.newFile ?? path,
      from: old.header.archives.map(retentionString).join(','),
      to: validateArchiveList(archiveList)
        .map(([s, p]) => retentionString({ secondsPerPoint: s, retention: s * p }))
        .join(','),
      aggregationMethod: r.method,
      xFilesFactor: r.xff,
      size: r.image.length,
      points: r.points,
      backup,
      dryRun: !!opts.dryRun,
    };
    if (opts.dryRun) return report;
    if (opts.newFile !== undefined) {
      writeNewFileSynced(opts.newFile, r.image, held.mode & 0o7777);
      fsyncDirectory(dirname(opts.newFile));
      return report;
    }
    const tmp = tempNameFor(path, 'resize');
    writeNewFileSynced(tmp, r.image, held.mode & 0o7777);
    try {
      if (backup !== null) {
        try {
          linkSync(path, backup);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw ioError(err, backup, 'create the backup');
          copyFileSync(path, backup); // filesystems without hard links
        }
      }
      renameSync(tmp, path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed or gone
      }
      throw err instanceof WhisperError ? err : ioError(err, path, 'replace');
    }
    fsyncDirectory(dirname(path));
    return report;
  } finally {
    old.close();
  }
}
