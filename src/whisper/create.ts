// Creating a whisper file (whisper-spec.md §2): the header whisper.create writes, then a zero data
// region, written to a temporary file in the same directory, fsynced, and linked into place so an
// existing file is never replaced and no half-written file is ever visible under the final name.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, linkSync, openSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDirSync } from '../fs-durable.js';
import { WhisperError, WhisperUsageError, ioError } from './errors.js';
import { AGGREGATION_METHODS, POINT_SIZE, aggregationCode, encodeHeader, type AggregationMethod } from './file-format.js';
import { validateArchiveList } from './retention.js';

export interface CreateOptions {
  /** Default 'average'. */
  aggregationMethod?: AggregationMethod | string;
  /** Default 0.5; stored as float32. */
  xFilesFactor?: number;
  /** Leave the data region as a hole instead of writing zeros (same bytes, less disk). */
  sparse?: boolean;
}

export interface CreateResult {
  path: string;
  archives: [number, number][];
  aggregationMethod: AggregationMethod;
  xFilesFactor: number;
  size: number;
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/**
 * whisper.create(path, archiveList, xFilesFactor, aggregationMethod, sparse): validated like whisper
 * (plus: unknown method, xff outside [0, 1], zero points are refused instead of written).
 */
export function create(path: string, archiveList: readonly (readonly [number, number])[], opts: CreateOptions = {}): CreateResult {
  const method = (opts.aggregationMethod ?? 'average') as AggregationMethod;
  const code = aggregationCode(method);
  if (code < 0)
    throw new WhisperUsageError('InvalidConfiguration', `unknown aggregation method '${method}'`, AGGREGATION_METHODS.slice(1).join(', '));
  const xff = opts.xFilesFactor ?? 0.5;
  if (!(xff >= 0 && xff <= 1)) throw new WhisperUsageError('InvalidConfiguration', `xFilesFactor ${xff} is not within [0, 1]`);
  const archives = validateArchiveList(archiveList);
  if (existsSync(path)) throw new WhisperError('Exists', 'file already exists', path);

  const header = encodeHeader(code, xff, archives);
  const size = header.length + archives.reduce((n, [, p]) => n + p * POINT_SIZE, 0);
  const tmp = join(dirname(path), `.${basename(path)}.ringshift-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (err) {
    throw ioError(err, path, 'create a file next to');
  }
  try {
    writeAll(fd, header, 0);
    if (opts.sparse) ftruncateSync(fd, size);
    else {
      const zeros = Buffer.alloc(Math.min(1 << 20, size - header.length));
      for (let at = header.length; at < size; at += zeros.length) writeAll(fd, zeros.subarray(0, Math.min(zeros.length, size - at)), at);
    }
    if (fstatSync(fd).size !== size) throw new WhisperError('IO', `temporary file has the wrong size`, tmp);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err instanceof WhisperError ? err : ioError(err, path, 'write');
  }
  closeSync(fd);
  try {
    // link() fails if the name exists, so a file created meanwhile is never replaced.
    linkSync(tmp, path);
    unlinkSync(tmp);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') {
      unlinkSync(tmp);
      throw new WhisperError('Exists', 'file already exists', path);
    }
    if (e.code === 'EPERM' || e.code === 'ENOTSUP' || e.code === 'EOPNOTSUPP') {
      renameSync(tmp, path); // filesystems without hard links
    } else {
      unlinkSync(tmp);
      throw ioError(err, path, 'create');
    }
  }
  try {
    // The name is in place; without this fsync a crash could still lose it.
    fsyncDirSync(dirname(path));
  } catch (err) {
    throw ioError(err, path, 'make its name durable');
  }
  return { path, archives, aggregationMethod: method, xFilesFactor: Math.fround(xff), size };
}
