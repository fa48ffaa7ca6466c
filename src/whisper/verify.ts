// verify: is this a sound whisper file? Header (whisper's checks), structure (sizes, offsets, creation
// rules, maxRetention) and every slot (slot 0 written first, each timestamp at its ring position).
import { WhisperError } from './errors.js';
import { WhisperFile } from './file.js';
import { pathText, type FsPath } from './fs-path.js';
import { retentionString, toInfo, type WhisperInfo } from './file-format.js';
import { readHeader } from './header.js';
import { archiveSlotProblem, structureProblem } from './structure.js';

export interface VerifyResult {
  path: string;
  ok: boolean;
  /** WhisperErrorCode of the first problem. */
  code?: string;
  error?: string;
  info?: WhisperInfo & { fileSize: number };
  /** Slots holding a point (timestamp ≠ 0), per archive. */
  slotsUsed?: number[];
  /** e.g. "10s:6h,1m:7d,10m:5y" */
  layout?: string;
}

/** Check one file; never throws for a data problem (it is reported in the result). */
export function verifyWhisper(path: FsPath): VerifyResult {
  return verifyOpening(pathText(path), () => WhisperFile.open(path));
}

/**
 * verifyWhisper for a whole file already in memory (read over ssh, say): the same checks, with `path`
 * only naming it in the result.
 */
export function verifyWhisperBuffer(path: string, data: Buffer): VerifyResult {
  return verifyOpening(path, () => WhisperFile.fromBuffer(path, data));
}

function verifyOpening(path: string, open: () => WhisperFile): VerifyResult {
  let file: WhisperFile;
  try {
    file = open();
  } catch (err) {
    if (err instanceof WhisperError) return { path, ok: false, code: err.code, error: err.message };
    throw err;
  }
  try {
    const info = { ...toInfo(file.header), fileSize: file.size };
    const layout = file.header.archives.map(retentionString).join(',');
    const problem = structureProblem(file.header, file.size);
    if (problem) return { path, ok: false, code: problem.code, error: problem.message, info, layout };
    const slotsUsed: number[] = [];
    for (const a of file.header.archives) {
      const buf = file.slots(a.index, 0, a.points);
      const bad = archiveSlotProblem(a.index, a.secondsPerPoint, buf, true);
      if (bad) return { path, ok: false, code: 'Corrupt', error: bad, info, layout };
      let used = 0;
      for (let at = 0; at < buf.length; at += 12) if (buf.readUInt32BE(at) !== 0) used++;
      slotsUsed.push(used);
    }
    return { path, ok: true, info, slotsUsed, layout };
  } catch (err) {
    if (err instanceof WhisperError) return { path, ok: false, code: err.code, error: err.message };
    throw err;
  } finally {
    file.close();
  }
}

/**
 * The header and structural checks of verifyWhisper (no slot checks) for a file seen as a stream: `head`
 * is its first bytes (at least the whole header; 64 KiB covers any real layout), `fileSize` its size.
 */
export function verifyHeaderBytes(path: string, head: Buffer, fileSize: number): VerifyResult {
  try {
    const header = readHeader(head, fileSize, path);
    const info = { ...toInfo(header), fileSize };
    const layout = header.archives.map(retentionString).join(',');
    const problem = structureProblem(header, fileSize);
    if (problem) return { path, ok: false, code: problem.code, error: problem.message, info, layout };
    return { path, ok: true, info, layout };
  } catch (err) {
    if (err instanceof WhisperError) return { path, ok: false, code: err.code, error: err.message };
    throw err;
  }
}
