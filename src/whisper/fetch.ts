// whisper.fetch with whisper's exact archive choice, alignment and window rules (whisper-spec.md §6),
// reading only the base point and the slots of the requested range.
import { WhisperError, WhisperUsageError } from './errors.js';
import { POINT_SIZE, alignDown, pmod } from './file-format.js';
import { WhisperFile } from './file.js';
import { parsePrecision } from './retention.js';
import { structureProblem } from './structure.js';

export interface FetchResult {
  /** First timestamp (inclusive). */
  start: number;
  /** End timestamp (exclusive). */
  end: number;
  step: number;
  /** One value per slot read, null where the slot holds no point for that time. */
  values: (number | null)[];
}

export interface FetchOptions {
  /** The clock (seconds); whisper reads time.time(). */
  now: number;
  /**
   * Read the archive with this precision instead of choosing by age; whisper's archiveToSelect
   * (seconds, or a precision such as "1m").
   */
  archiveToSelect?: number | string | undefined;
  /**
   * For an inverted window, report a file that fails the structural check (structure.ts) as corrupt
   * (exit 1) before the window (exit 2), as the commands do. whisper.fetch itself only has its header
   * checks before the window check, so the library default follows it.
   */
  corruptBeforeWindow?: boolean | undefined;
}

/**
 * whisper's __archive_fetch on archive `ai`: slots for (floor(from), floor(until)] at the archive's
 * step, a zero-length range giving the next slot, read from the slot of `from` to the slot of `until`
 * around the ring (so a range longer than the archive wraps and yields fewer values, as in whisper).
 */
export function archiveFetch(file: WhisperFile, ai: number, fromTime: number, untilTime: number): FetchResult {
  const a = file.archive(ai);
  if (!file.archivePresent(ai)) {
    throw new WhisperError(
      'Truncated',
      `truncated: archive ${ai} ends at byte ${a.offset + a.size} but the file has ${file.size} bytes`,
      file.path,
    );
  }
  const step = a.secondsPerPoint;
  const fromInterval = alignDown(fromTime, step) + step;
  let untilInterval = alignDown(untilTime, step) + step;
  if (fromInterval === untilInterval) untilInterval += step;
  const base = file.base(ai);
  if (base === 0) {
    const n = Math.floor((untilInterval - fromInterval) / step);
    return { start: fromInterval, end: untilInterval, step, values: new Array<null>(Math.max(0, n)).fill(null) };
  }
  const fromSlot = pmod(Math.floor((fromInterval - base) / step), a.points);
  const untilSlot = pmod(Math.floor((untilInterval - base) / step), a.points);
  const parts: Buffer[] =
    fromSlot < untilSlot
      ? [file.slots(ai, fromSlot, untilSlot - fromSlot)]
      : [file.slots(ai, fromSlot, a.points - fromSlot), file.slots(ai, 0, untilSlot)];
  const total = parts.reduce((n, b) => n + b.length / POINT_SIZE, 0);
  const values: (number | null)[] = new Array(total);
  let expected = fromInterval;
  let k = 0;
  for (const buf of parts) {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let at = 0; at < buf.length; at += POINT_SIZE) {
      values[k++] = view.getUint32(at) === expected ? view.getFloat64(at + 4) : null;
      expected += step;
    }
  }
  return { start: fromInterval, end: untilInterval, step, values };
}

/** Index of the archive whisper.fetch reads for a clamped `fromTime`, or throws for a bad granularity. */
export function chooseArchive(file: WhisperFile, fromTime: number, now: number, archiveToSelect?: number | string): number {
  const archives = file.header.archives;
  if (archives.length === 0) throw new WhisperError('NoArchives', 'header declares 0 archives', file.path);
  if (archiveToSelect) {
    const step = typeof archiveToSelect === 'number' ? archiveToSelect : parsePrecision(archiveToSelect);
    const i = archives.findIndex((a) => a.secondsPerPoint === step);
    if (i < 0)
      throw new WhisperUsageError(
        'InvalidGranularity',
        `Invalid granularity: ${archiveToSelect}`,
        file.header.archives.map((a) => `${a.secondsPerPoint}`).join(', '),
      );
    return i;
  }
  const diff = now - fromTime;
  const i = archives.findIndex((a) => a.retention >= diff);
  return i >= 0 ? i : archives.length - 1;
}

/**
 * whisper.file_fetch on an open file: `until` defaults to now; from > until raises; ranges entirely in
 * the future or before the retention give null; the range is clamped to [now − maxRetention, now].
 */
export function fetchOpen(file: WhisperFile, from: number, until: number | undefined, opts: FetchOptions): FetchResult | null {
  const now = Math.trunc(opts.now);
  let fromTime = Math.trunc(from);
  let untilTime = until === undefined ? now : Math.trunc(until);
  if (fromTime > untilTime) {
    if (opts.corruptBeforeWindow) {
      const problem = structureProblem(file.header, file.size);
      if (problem) throw new WhisperError(problem.code, problem.message, file.path, problem.expected);
    }
    throw new WhisperUsageError('InvalidTimeInterval', `Invalid time interval: from time '${fromTime}' is after until time '${untilTime}'`);
  }
  const oldest = now - file.header.maxRetention;
  if (fromTime > now) return null;
  if (untilTime < oldest) return null;
  if (fromTime < oldest) fromTime = oldest;
  if (untilTime > now) untilTime = now;
  const ai = chooseArchive(file, fromTime, now, opts.archiveToSelect);
  return archiveFetch(file, ai, fromTime, untilTime);
}

/** whisper.fetch(path, from, until) with an explicit clock. */
export function fetch(path: string, from: number, until: number | undefined, opts: FetchOptions): FetchResult | null {
  const file = WhisperFile.open(path);
  try {
    return fetchOpen(file, from, until, opts);
  } finally {
    file.close();
  }
}
