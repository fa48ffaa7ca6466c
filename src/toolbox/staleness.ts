// carbonate's carbon-stale, per file: stale "by mtime" when the file was not modified since DUR ago
// (carbonate's stat(): st_mtime < now − DUR), stale "by data" when its finest archive holds no point
// in whisper.fetch's window for [now − DUR, now] (carbonate's data(): every value None). The window is
// whisper's: from the step after the one holding now − DUR, up to and including the step holding now.
// carbonate reads whichever archive whisper.fetch picks for the window, which for a DUR longer than
// the finest archive's retention is a coarser one — empty whenever the xFilesFactor held points
// back. ringshift reads the finest archive always: the last points written stay there until newer
// ones overwrite them, so its answer is the same where carbonate's is right, and right where it is not.
import { DataError } from '../errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { WhisperError } from '../whisper/errors.js';
import { POINT_SIZE, pmod } from '../whisper/file-format.js';
import { readHeader } from '../whisper/header.js';
import { structureProblem } from '../whisper/structure.js';

export type StaleBy = 'mtime' | 'data';

/** whisper.fetch's interval window on an archive of `step` seconds, for [from, until]. */
export function fetchWindow(from: number, until: number, step: number): [number, number] {
  const f = Math.trunc(from);
  const u = Math.trunc(until);
  const fromInterval = f - pmod(f, step) + step;
  let untilInterval = u - pmod(u, step) + step;
  if (fromInterval === untilInterval) untilInterval += step;
  return [fromInterval, untilInterval];
}

/** carbonate's stat(): not modified since `olderThan` seconds before `now`. */
export function staleByMtime(mtimeSeconds: number, now: number, olderThan: number): boolean {
  return mtimeSeconds < now - olderThan;
}

export interface DataAge {
  /** The newest point of the finest archive not after now's step (null: none). */
  lastPoint: number | null;
  /** Whether a point lies in whisper.fetch's window for the last `olderThan` seconds. */
  fresh: boolean;
  /** The finest archive's step. */
  step: number;
}

/** The finest archive's points (its bytes) against the window. */
export function dataAge(archive: Buffer, step: number, now: number, olderThan: number): DataAge {
  const [lo, hi] = fetchWindow(now - olderThan, now, step);
  let last: number | null = null;
  let fresh = false;
  for (let at = 0; at + POINT_SIZE <= archive.length; at += POINT_SIZE) {
    const ts = archive.readUInt32BE(at);
    if (ts === 0 || ts >= hi) continue;
    if (ts >= lo) fresh = true;
    if (last === null || ts > last) last = ts;
  }
  return { lastPoint: last, fresh, step };
}

async function readRange(driver: StorageDriver, rel: string, start: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const c of await driver.openRead(rel, { start, end: start + length - 1 })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Read a file's header and finest archive through a driver (two reads) and date its data. */
export async function fileDataAge(driver: StorageDriver, rel: string, size: number, now: number, olderThan: number): Promise<DataAge> {
  const where = `${driver.url}/${rel}`;
  const head = await readRange(driver, rel, 0, Math.min(size, 4096));
  let header;
  try {
    const count = head.length >= 16 ? head.readUInt32BE(12) : 0;
    const full = 16 + 12 * count > head.length && 16 + 12 * count <= size ? await readRange(driver, rel, 0, 16 + 12 * count) : head;
    header = readHeader(full, size, where);
  } catch (err) {
    if (err instanceof WhisperError) throw new DataError(`not a sound whisper file: ${err.message}`, { file: where });
    throw err;
  }
  const problem = structureProblem(header, size);
  if (problem) throw new DataError(`not a sound whisper file: ${problem.message}`, { file: where });
  const finest = header.archives.reduce((a, b) => (b.secondsPerPoint < a.secondsPerPoint ? b : a));
  const data = await readRange(driver, rel, finest.offset, finest.size);
  if (data.length < finest.size) throw new DataError('not a sound whisper file: its finest archive is cut short', { file: where });
  return dataAge(data, finest.secondsPerPoint, now, olderThan);
}
