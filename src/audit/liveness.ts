// Liveness: the evidence that settles "does a relay still write this file?". A file's last write is the
// newest timestamp held by its finest archive, read from the file — not its mtime, which a gap fill, a
// copy or a touch also moves. The mtime is the cheap first filter: a whisper point is never newer than
// the moment it was written (whisper refuses timestamps in the future), so a file last modified before
// the cutoff cannot hold a point after it, and most files of a big cluster are never opened for this.
//
// A file is live when its last point is after the cutoff: the switch time when it is known
// (--switched-at, or the switch apply confirmed), else now minus the live window (--live-window;
// default max(10 min, 3 × the file's finest step)). Live misplaced files are never moved or deleted.
//
// The same read also checks the header against the file size, so the audit can report corrupt and
// truncated files as their own class (a header read costs one pread of a few dozen bytes).
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { StorageDriver } from '../storage/driver.js';
import { checkRelPath } from '../storage/driver.js';
import { WhisperError } from '../whisper/errors.js';
import { POINT_SIZE, type Header } from '../whisper/file-format.js';
import { preadUpTo, readHeader } from '../whisper/header.js';
import { structureProblem } from '../whisper/structure.js';

/** Seconds: the default live window never goes below this. */
export const MIN_LIVE_WINDOW = 600;
/** The default live window is this many finest steps when that is longer than MIN_LIVE_WINDOW. */
export const LIVE_WINDOW_STEPS = 3;
/** Bytes read for a header: covers any real archive table (16 + 12 × archives). */
const HEAD_BYTES = 4096;

export interface LivenessPolicy {
  /** The clock, unix seconds. */
  now: number;
  /** --live-window in seconds (undefined: per file, max(MIN_LIVE_WINDOW, LIVE_WINDOW_STEPS × step)). */
  window?: number | undefined;
  /** When the relays were switched to the current ring (unix seconds), when known. */
  switchedAt?: number | undefined;
}

/** The live window for a file whose finest archive has `step` seconds per point. */
export function liveWindow(step: number, policy: LivenessPolicy): number {
  return policy.window ?? Math.max(MIN_LIVE_WINDOW, LIVE_WINDOW_STEPS * step);
}

/** Points after this time (unix seconds) make a file live. */
export function liveCutoff(step: number, policy: LivenessPolicy): number {
  return policy.switchedAt ?? policy.now - liveWindow(step, policy);
}

/**
 * The mtime filter: true when a file last modified at `mtimeMs` cannot hold a point after the cutoff,
 * whatever its step (the smallest window any step gets is the lower bound).
 */
export function staleByMtime(mtimeMs: number, policy: LivenessPolicy): boolean {
  const cutoff = policy.switchedAt ?? policy.now - (policy.window ?? MIN_LIVE_WINDOW);
  // A point at second s is written at or after s, so it is at most floor(mtime).
  return Math.floor(mtimeMs / 1000) <= cutoff;
}

/** What one read of a file says: its health and, when asked, its last point. */
export interface FileProbe {
  health: 'ok' | 'corrupt' | 'truncated';
  /** corrupt / truncated: why. */
  problem?: string;
  /** Finest archive's seconds per point (when the header could be read). */
  step?: number;
  /** Newest timestamp in the finest archive; null: the archive is empty; undefined: not read. */
  lastPoint?: number | null;
}

/** The newest non-empty timestamp among the slots of one archive's bytes (null when every slot is empty). */
export function newestTimestamp(buf: Buffer): number | null {
  let newest = 0;
  for (let at = 0; at + POINT_SIZE <= buf.length; at += POINT_SIZE) {
    const ts = buf.readUInt32BE(at);
    if (ts > newest) newest = ts;
  }
  return newest === 0 ? null : newest;
}

function healthOf(header: Header | null, size: number, err?: unknown): FileProbe {
  if (header === null) {
    const msg = err instanceof WhisperError ? err.message : err instanceof Error ? err.message : String(err);
    // A header cut short is a truncated file; any other unreadable header is corrupt.
    return { health: /shorter than|file ends inside/.test(msg) ? 'truncated' : 'corrupt', problem: msg };
  }
  const p = structureProblem(header, size);
  if (p !== null)
    return { health: p.code === 'Truncated' ? 'truncated' : 'corrupt', problem: p.message, step: header.archives[0]?.secondsPerPoint ?? 0 };
  return { health: 'ok', step: header.archives[0]!.secondsPerPoint };
}

/**
 * Probe a local file: header and size always; the finest archive too when `wantLast` says the mtime
 * does not settle liveness. Returns null when the file is gone (or not a regular file).
 */
export function probeLocalFile(abs: string, wantLast: (step: number) => boolean): FileProbe | null {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
    return { health: 'corrupt', problem: `cannot open: ${code ?? (err as Error).message}` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return null;
    let header: Header | null = null;
    let headErr: unknown;
    try {
      header = readHeader(preadUpTo(fd, HEAD_BYTES, 0), st.size, abs);
    } catch (err) {
      headErr = err;
    }
    const probe = healthOf(header, st.size, headErr);
    if (probe.health !== 'ok' || header === null) return probe;
    const finest = header.archives[0]!;
    if (wantLast(finest.secondsPerPoint)) probe.lastPoint = newestTimestamp(preadUpTo(fd, finest.size, finest.offset));
    return probe;
  } finally {
    fs.closeSync(fd);
  }
}

/** The same probe through a storage driver (ssh://): the header, then the finest archive's bytes. */
export async function probeRemoteFile(driver: StorageDriver, rel: string, wantLast: (step: number) => boolean): Promise<FileProbe | null> {
  const st = await driver.stat(rel);
  if (st === null || st.type !== 'file') return null;
  const head = await readRange(driver, rel, 0, Math.min(HEAD_BYTES, st.size));
  let header: Header | null = null;
  let headErr: unknown;
  try {
    header = readHeader(head, st.size, rel);
  } catch (err) {
    headErr = err;
  }
  const probe = healthOf(header, st.size, headErr);
  if (probe.health !== 'ok' || header === null) return probe;
  const finest = header.archives[0]!;
  if (wantLast(finest.secondsPerPoint)) probe.lastPoint = newestTimestamp(await readRange(driver, rel, finest.offset, finest.size));
  return probe;
}

async function readRange(driver: StorageDriver, rel: string, start: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const stream = await driver.openRead(rel, { start, end: start + length - 1 });
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** A local file's last point (null: empty finest archive), or undefined when it cannot be read. */
export function lastPointOf(abs: string): { lastPoint: number | null; step: number } | undefined {
  const p = probeLocalFile(abs, () => true);
  if (p === null || p.health !== 'ok' || p.lastPoint === undefined) return undefined;
  return { lastPoint: p.lastPoint, step: p.step! };
}

/** Probe `rel` under a local root. */
export function probeUnderRoot(root: string, rel: string, wantLast: (step: number) => boolean): FileProbe | null {
  return probeLocalFile(join(root, checkRelPath(rel)), wantLast);
}

/** ISO time of unix seconds, for evidence. */
export function isoSeconds(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}
