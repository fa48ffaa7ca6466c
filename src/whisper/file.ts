// An open whisper file: header plus positioned reads of archive ranges, and for writers an in-memory
// image of the archives they touch. Writes change the image; flush() writes back only the slots whose
// bytes changed (runs of adjacent slots in one pwrite each) and fdatasyncs. Everything a writer
// computes is therefore computed from what it read, and nothing reaches the disk before flush().
import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { WhisperError, ioError } from './errors.js';
import { POINT_SIZE, type ArchiveInfo, type Header } from './format.js';
import { preadUpTo, readHeader } from './header.js';
import { archiveSlotProblem, assertSound } from './structure.js';

export interface OpenOptions {
  /** Open read-write (for fill/merge/update). */
  write?: boolean;
  /** Apply the strict structural check (structure.ts) after reading the header. */
  strict?: boolean;
}

export interface FlushResult {
  /** Slots whose 12 bytes changed, per archive index. */
  changedSlots: number[];
  bytesWritten: number;
}

export class WhisperFile {
  readonly path: string;
  readonly fd: number;
  readonly size: number;
  readonly dev: number;
  readonly ino: number;
  readonly header: Header;
  readonly writable: boolean;
  private readonly images: (Buffer | undefined)[];
  private readonly originals: (Buffer | undefined)[];
  private readonly dirty: (Uint8Array | undefined)[];
  private closed = false;

  private constructor(path: string, fd: number, writable: boolean, size: number, dev: number, ino: number, header: Header) {
    this.path = path;
    this.fd = fd;
    this.writable = writable;
    this.size = size;
    this.dev = dev;
    this.ino = ino;
    this.header = header;
    this.images = new Array(header.archives.length);
    this.originals = new Array(header.archives.length);
    this.dirty = new Array(header.archives.length);
  }

  /** Open and read the header. Raises WhisperError for a missing, non-regular or corrupt file. */
  static open(path: string, opts: OpenOptions = {}): WhisperFile {
    let fd: number;
    try {
      fd = openSync(path, opts.write ? 'r+' : 'r');
    } catch (err) {
      throw ioError(err, path, 'open');
    }
    try {
      return WhisperFile.fromFd(path, fd, opts);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Read the header of an already open descriptor (the caller closes `fd` if this throws). */
  static fromFd(path: string, fd: number, opts: OpenOptions = {}): WhisperFile {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new WhisperError('NotRegularFile', 'not a regular file', path);
    const header = readHeader(fd, st.size, path);
    if (opts.strict) assertSound(header, st.size, path);
    return new WhisperFile(path, fd, !!opts.write, st.size, st.dev, st.ino, header);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  archive(i: number): ArchiveInfo {
    return this.header.archives[i]!;
  }

  /** True when the whole point array of archive `i` lies inside the file. */
  archivePresent(i: number): boolean {
    const a = this.archive(i);
    return a.offset + a.size <= this.size;
  }

  private truncated(a: ArchiveInfo, first: number, count: number): WhisperError {
    const from = a.offset + first * POINT_SIZE;
    return new WhisperError(
      'Truncated',
      `truncated: archive ${a.index} needs bytes ${from}..${from + count * POINT_SIZE} but the file has ${this.size} bytes`,
      this.path,
    );
  }

  /**
   * `count` consecutive slots starting at slot `first` (no wrap), as raw 12-byte points. Served from
   * the in-memory image when the archive is loaded; otherwise one positioned read. A range the file
   * does not fully hold raises Truncated (never a silent short read).
   */
  slots(i: number, first: number, count: number): Buffer {
    const img = this.images[i];
    if (img) return img.subarray(first * POINT_SIZE, (first + count) * POINT_SIZE);
    const a = this.archive(i);
    if (first < 0 || count < 0 || first + count > a.points) throw new RangeError(`slot range ${first}+${count} outside archive ${i}`);
    const pos = a.offset + first * POINT_SIZE;
    if (pos + count * POINT_SIZE > this.size) throw this.truncated(a, first, count);
    let buf: Buffer;
    try {
      buf = preadUpTo(this.fd, count * POINT_SIZE, pos);
    } catch (err) {
      throw ioError(err, this.path, 'read');
    }
    if (buf.length !== count * POINT_SIZE) throw this.truncated(a, first, count);
    return buf;
  }

  /** Timestamp stored in slot 0 (0 = archive never written). */
  base(i: number): number {
    return this.slots(i, 0, 1).readUInt32BE(0);
  }

  /** Read the whole archive into memory (once); later slot reads and all writes use this image. */
  load(i: number): Buffer {
    let img = this.images[i];
    if (!img) {
      const a = this.archive(i);
      img = Buffer.from(this.slots(i, 0, a.points));
      this.images[i] = img;
    }
    return img;
  }

  /** Load every archive; with `checkSlots`, refuse an archive whose slot 0 is empty while others are not. */
  loadAll(checkSlots = false): void {
    for (let i = 0; i < this.header.archives.length; i++) {
      const img = this.load(i);
      if (checkSlots) {
        const problem = archiveSlotProblem(i, this.archive(i).secondsPerPoint, img, false);
        if (problem) throw new WhisperError('Corrupt', problem, this.path);
      }
    }
  }

  private touch(i: number, slot: number): Buffer {
    if (!this.writable) throw new Error(`${this.path} is open read-only`);
    const img = this.load(i);
    if (!this.originals[i]) this.originals[i] = Buffer.from(img);
    let d = this.dirty[i];
    if (!d) d = this.dirty[i] = new Uint8Array(this.archive(i).points);
    d[slot] = 1;
    return img;
  }

  /** Store (timestamp, value) in a slot of the image. */
  setPoint(i: number, slot: number, ts: number, value: number): void {
    const img = this.touch(i, slot);
    img.writeUInt32BE(ts, slot * POINT_SIZE);
    img.writeDoubleBE(value, slot * POINT_SIZE + 4);
  }

  /** Store a timestamp and the 8 value bytes copied verbatim (NaN payloads kept). */
  setPointRaw(i: number, slot: number, ts: number, src: Buffer, valueAt: number): void {
    const img = this.touch(i, slot);
    img.writeUInt32BE(ts, slot * POINT_SIZE);
    src.copy(img, slot * POINT_SIZE + 4, valueAt, valueAt + 8);
  }

  /**
   * Write back the slots whose bytes differ from what was read; fdatasync when anything was written.
   * With `write: false` only count them (dry run) and forget the changes.
   */
  flush(sync = true, write = true): FlushResult {
    const changedSlots = this.header.archives.map(() => 0);
    let bytesWritten = 0;
    for (let i = 0; i < this.header.archives.length; i++) {
      const d = this.dirty[i];
      if (!d) continue;
      const img = this.images[i]!;
      const orig = this.originals[i]!;
      const a = this.archive(i);
      let runStart = -1;
      const emit = (end: number): void => {
        if (!write) {
          runStart = -1;
          return;
        }
        const from = runStart * POINT_SIZE;
        const len = (end - runStart) * POINT_SIZE;
        try {
          let done = 0;
          while (done < len) done += writeSync(this.fd, img, from + done, len - done, a.offset + from + done);
        } catch (err) {
          throw ioError(err, this.path, 'write');
        }
        bytesWritten += len;
        runStart = -1;
      };
      for (let s = 0; s < a.points; s++) {
        const changed = d[s] === 1 && img.compare(orig, s * POINT_SIZE, s * POINT_SIZE + POINT_SIZE, s * POINT_SIZE, s * POINT_SIZE + POINT_SIZE) !== 0;
        if (changed) {
          changedSlots[i]!++;
          if (runStart < 0) runStart = s;
        } else if (runStart >= 0) emit(s);
      }
      if (runStart >= 0) emit(a.points);
      if (!write) orig.copy(img);
      this.dirty[i] = undefined;
      this.originals[i] = undefined;
    }
    if (bytesWritten > 0 && sync) {
      try {
        fdatasyncSync(this.fd);
      } catch (err) {
        throw ioError(err, this.path, 'sync');
      }
    }
    return { changedSlots, bytesWritten };
  }
}
