// Durable replacement of files: write a temporary file next to the target, fsync it, then link or rename
// it into place and fsync the directory, so a crash leaves either the old file or the new one, whole.
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDirSync } from '../fs-durable.js';
import { ioError } from './errors.js';

/** fsync a directory (src/fs-durable.ts) so a link, rename or unlink in it survives a crash; a failure is a WhisperError naming it. */
export function fsyncDirectory(dir: string): void {
  try {
    fsyncDirSync(dir);
  } catch (err) {
    throw ioError(err, dir, 'sync the directory');
  }
}

/** A fresh temporary name in the directory of `target` (dot file, so a whisper scan skips it). */
export function tempNameFor(target: string, purpose: string): string {
  return join(dirname(target), `.${basename(target)}.ringshift-${purpose}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
}

/** Write `data` to a new file at `path` (which must not exist) and fsync it; removed again on failure. */
export function writeNewFileSynced(path: string, data: Buffer, mode = 0o644): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (err) {
    throw ioError(err, path, 'create');
  }
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, done);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw ioError(err, path, 'write');
  }
  closeSync(fd);
}
