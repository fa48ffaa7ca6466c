// The strict structural check (vectors README, "Structural check"): stricter than whisper.py, which
// trusts offsets, sizes and maxRetention. A file that passes can be read and written slot by slot
// without any short read; fill, merge and verify refuse files that fail.
import { WhisperError, type WhisperErrorCode } from './errors.js';
import { ARCHIVE_INFO_SIZE, METADATA_SIZE, POINT_SIZE, type Header } from './file-format.js';

export interface StructureProblem {
  code: WhisperErrorCode;
  message: string;
  expected?: string;
}

/** First structural problem of a parsed header against the file size, or null when sound. */
export function structureProblem(h: Header, fileSize: number): StructureProblem | null {
  const n = h.archives.length;
  if (n === 0) return { code: 'NoArchives', message: 'header declares 0 archives' };
  let expectOffset = METADATA_SIZE + ARCHIVE_INFO_SIZE * n;
  for (const a of h.archives) {
    if (a.secondsPerPoint < 1) return { code: 'Corrupt', message: `archive ${a.index} has secondsPerPoint 0` };
    if (a.points < 1) return { code: 'Corrupt', message: `archive ${a.index} has 0 points` };
    if (a.offset !== expectOffset) {
      return {
        code: 'Corrupt',
        message: `archive ${a.index} starts at byte ${a.offset}`,
        expected: `byte ${expectOffset}, where the previous one ends`,
      };
    }
    expectOffset += a.size;
  }
  if (fileSize < expectOffset) {
    const cut = h.archives.find((a) => a.offset + a.size > fileSize)!;
    return {
      code: 'Truncated',
      message: `truncated: file has ${fileSize} bytes, header describes ${expectOffset} (cut inside archive ${cut.index}${
        (fileSize - METADATA_SIZE - ARCHIVE_INFO_SIZE * n) % POINT_SIZE === 0 ? ', on a point boundary' : ''
      })`,
    };
  }
  if (fileSize > expectOffset) {
    return {
      code: 'Corrupt',
      message: `file has ${fileSize} bytes, header describes ${expectOffset} (${fileSize - expectOffset} trailing bytes)`,
    };
  }
  for (let i = 0; i + 1 < n; i++) {
    const a = h.archives[i]!;
    const b = h.archives[i + 1]!;
    if (!(a.secondsPerPoint < b.secondsPerPoint)) {
      return {
        code: 'Corrupt',
        message: `archive ${i + 1} step ${b.secondsPerPoint}s is not larger than archive ${i}'s ${a.secondsPerPoint}s`,
      };
    }
    if (b.secondsPerPoint % a.secondsPerPoint !== 0) {
      return {
        code: 'Corrupt',
        message: `archive ${i} step ${a.secondsPerPoint}s does not divide archive ${i + 1}'s ${b.secondsPerPoint}s`,
      };
    }
    if (!(b.retention > a.retention)) {
      return { code: 'Corrupt', message: `archive ${i + 1} retention ${b.retention}s is not larger than archive ${i}'s ${a.retention}s` };
    }
    if (a.points < b.secondsPerPoint / a.secondsPerPoint) {
      return {
        code: 'Corrupt',
        message: `archive ${i} has ${a.points} points, fewer than the ${b.secondsPerPoint / a.secondsPerPoint} archive ${i + 1} consolidates`,
      };
    }
  }
  const last = h.archives[n - 1]!;
  if (h.maxRetention !== last.retention) {
    return {
      code: 'Corrupt',
      message: `header maxRetention ${h.maxRetention} differs from the last archive's retention ${last.retention}`,
    };
  }
  return null;
}

/** Throw the structural problem, if any, as a WhisperError naming the file. */
export function assertSound(h: Header, fileSize: number, path: string): void {
  const p = structureProblem(h, fileSize);
  if (p) throw new WhisperError(p.code, p.message, path, p.expected);
}

/**
 * Slot-level consistency of one archive's raw bytes: slot 0 must hold a point when any slot does
 * (whisper always writes slot 0 first), and every non-empty slot's timestamp must sit at the position
 * the ring gives it relative to slot 0. Returns a problem description or null.
 */
export function archiveSlotProblem(index: number, step: number, buf: Buffer, checkPositions: boolean): string | null {
  const points = buf.length / POINT_SIZE;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const base = view.getUint32(0);
  if (base !== 0 && !checkPositions) return null;
  // Slot i may hold base + i·step plus any whole number of turns of the ring (points·step): one
  // remainder per slot instead of a division and two.
  const turn = points * step;
  let misplaced = 0;
  let firstMisplaced = -1;
  for (let i = 1, at = POINT_SIZE; i < points; i++, at += POINT_SIZE) {
    const ts = view.getUint32(at);
    if (ts === 0) continue;
    if (base === 0) return `archive ${index}: slot 0 is empty but slot ${i} holds timestamp ${ts}`;
    if (!checkPositions) continue;
    const off = ts - base - i * step; // 0 before the ring wraps, ±turn after: no division for those
    if (off !== 0 && off !== turn && off !== -turn && off % turn !== 0) {
      if (misplaced++ === 0) firstMisplaced = i;
    }
  }
  if (checkPositions && base !== 0 && base % step !== 0)
    return `archive ${index}: slot 0 timestamp ${base} is not a multiple of the step ${step}s`;
  if (misplaced > 0) {
    return `archive ${index}: ${misplaced} slot(s) hold timestamps that do not match their ring position (first: slot ${firstMisplaced})`;
  }
  return null;
}
