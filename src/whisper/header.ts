// Reading the header with exactly whisper's checks (whisper-spec.md §1 "what counts as corrupt"), and
// never reading more than the file holds (a garbage archiveCount of 4 billion costs nothing).
import { readSync } from 'node:fs';
import { WhisperError } from './errors.js';
import {
  AGGREGATION_METHODS,
  ARCHIVE_INFO_SIZE,
  METADATA_SIZE,
  POINT_SIZE,
  type AggregationMethod,
  type ArchiveInfo,
  type Header,
} from './file-format.js';

/**
 * Read up to `length` bytes at `position`; returns what the file holds (short only at end of file).
 * `fd` may also be an in-memory image of the file (a fresh copy of the range is returned).
 */
export function preadUpTo(fd: number | Buffer, length: number, position: number): Buffer {
  if (typeof fd !== 'number') return Buffer.from(fd.subarray(position, position + length));
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Parse the header of an open file of `size` bytes. Raises WhisperError('CorruptHeader') with
 * whisper's own messages where whisper.py raises CorruptWhisperFile; everything else is left to the
 * structural check (structure.ts), as whisper.py itself trusts it.
 */
export function readHeader(fd: number | Buffer, size: number, path: string): Header {
  const meta = preadUpTo(fd, METADATA_SIZE, 0);
  if (meta.length < METADATA_SIZE) throw new WhisperError('CorruptHeader', 'Unable to read header (file shorter than 16 bytes)', path);
  const aggregationType = meta.readUInt32BE(0);
  const maxRetention = meta.readUInt32BE(4);
  const xFilesFactor = meta.readFloatBE(8);
  const archiveCount = meta.readUInt32BE(12);
  if (aggregationType < 1 || aggregationType > 8) {
    throw new WhisperError('CorruptHeader', `Unable to read header (aggregation type ${aggregationType} is not 1..8)`, path);
  }
  if (!(xFilesFactor >= 0 && xFilesFactor <= 1)) {
    throw new WhisperError('CorruptHeader', `Unable to read header (xFilesFactor ${xFilesFactor} is not within [0, 1])`, path);
  }
  const available = Math.max(0, Math.floor((size - METADATA_SIZE) / ARCHIVE_INFO_SIZE));
  const readable = Math.min(archiveCount, available);
  const infoBuf = preadUpTo(fd, readable * ARCHIVE_INFO_SIZE, METADATA_SIZE);
  if (infoBuf.length < readable * ARCHIVE_INFO_SIZE || archiveCount > available) {
    const i = Math.floor(infoBuf.length / ARCHIVE_INFO_SIZE);
    throw new WhisperError('CorruptHeader', `Unable to read archive${i} metadata (file ends inside the archive table)`, path);
  }
  const archives: ArchiveInfo[] = [];
  for (let i = 0; i < archiveCount; i++) {
    const at = i * ARCHIVE_INFO_SIZE;
    const offset = infoBuf.readUInt32BE(at);
    const secondsPerPoint = infoBuf.readUInt32BE(at + 4);
    const points = infoBuf.readUInt32BE(at + 8);
    archives.push({ index: i, offset, secondsPerPoint, points, retention: secondsPerPoint * points, size: points * POINT_SIZE });
  }
  return {
    aggregationType,
    aggregationMethod: AGGREGATION_METHODS[aggregationType] as AggregationMethod,
    maxRetention,
    xFilesFactor,
    archives,
    headerSize: METADATA_SIZE + archiveCount * ARCHIVE_INFO_SIZE,
  };
}
