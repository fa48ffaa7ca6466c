// An open whisper file: header plus positioned reads of archive ranges, and for writers an in-memory
// image of the archives they touch. Writes change the image; flush() writes back only the slots whose
// bytes changed (runs of adjacent slots in one pwrite each) and fdatasyncs. Everything a writer
// computes is therefore computed from what it read, and nothing reaches the disk before flush().
// A file can also live in memory (fromBuffer): for a copy fetched from elsewhere (a remote node), where
// flush() updates the buffer and lists the byte ranges written so the caller can replay them remotely.
import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { WhisperError, ioError } from './errors.js';
import { pathText, type FsPath } from './fs-path.js';
import { POINT_SIZE, type ArchiveInfo, type Header } from './file-format.js';
import { preadUpTo, readHeader } from './header.js';
import { archiveSlotProblem, assertSound } from './structure.js';

export interface OpenOptions {
  /** Open read-write (for fill/merge/update). */
  write?: boolean;
  /** Apply the strict structural check (structure.ts) after reading the header. */
  strict?: boolean;
}

/** A byte range flush() wrote into an in-memory file: replay data[position, position + length). */
export interface MemoryWrite {
  position: number;
  length: number;
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
  private readonly dirty: (DirtySet | undefined)[];
  private closed = false;
  /** In-memory files: the image (fd is -1) and the ranges flush() wrote into it, in write order. */
  private readonly mem: Buffer | undefined;
  readonly memWrites: MemoryWrite[] = [];

  private constructor(path: string, fd: number, writable: boolean, size: number, dev: number, ino: number, header: Header, mem?: Buffer) {
    this.path = path;
    this.mem = mem;
    this.fd = fd;
    this.writable = writable;
    this.size = size;
    this.dev = dev;
    this.ino = ino;
    this.header = header;
    this.images = new Array(header.archives.length);
    this.dirty = new Array(header.archives.length);
  }

  /** Open and read the header. Raises WhisperError for a missing, non-regular or corrupt file. */
  static open(path: FsPath, opts: OpenOptions = {}): WhisperFile {
    const name = pathText(path);
    let fd: number;
    try {
      fd = openSync(path, opts.write ? 'r+' : 'r');
    } catch (err) {
      throw ioError(err, name, 'open');
    }
    try {
      return WhisperFile.fromFd(name, fd, opts);
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

  /**
   * A whole file held in memory (read from another machine, say). Same checks as open(); with `write`,
   * flush() changes `data` in place and records each range in memWrites (nothing is synced).
   */
  static fromBuffer(path: string, data: Buffer, opts: OpenOptions = {}): WhisperFile {
    const header = readHeader(data, data.length, path);
    if (opts.strict) assertSound(header, data.length, path);
    return new WhisperFile(path, -1, !!opts.write, data.length, 0, 0, header, data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.mem === undefined) closeSync(this.fd);
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
      buf = preadUpTo(this.mem ?? this.fd, count * POINT_SIZE, pos);
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
      img = this.slots(i, 0, a.points); // a fresh buffer from the read, ours to modify
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
    const img = this.load(i);
    let d = this.dirty[i];
    if (!d) d = this.dirty[i] = new DirtySet(this.archive(i).points);
    d.mark(slot, img);
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
   * With `write: false` only count them (dry run) and restore the image.
   */
  flush(sync = true, write = true): FlushResult {
    if (write && !this.writable && this.dirty.some((d) => d !== undefined)) throw new Error(`${this.path} is open read-only`);
    const changedSlots = this.header.archives.map(() => 0);
    let bytesWritten = 0;
    for (let i = 0; i < this.header.archives.length; i++) {
      const d = this.dirty[i];
      if (!d) continue;
      this.dirty[i] = undefined;
      const img = this.images[i]!;
      const a = this.archive(i);
      let runStart = -1;
      let runEnd = -1;
      const emit = (): void => {
        if (runStart < 0) return;
        if (write) {
          const from = runStart * POINT_SIZE;
          const len = (runEnd - runStart) * POINT_SIZE;
          try {
            if (this.mem !== undefined) {
              img.copy(this.mem, a.offset + from, from, from + len);
              this.memWrites.push({ position: a.offset + from, length: len });
            } else {
              let done = 0;
              while (done < len) done += writeSync(this.fd, img, from + done, len - done, a.offset + from + done);
            }
          } catch (err) {
            throw ioError(err, this.path, 'write');
          }
          bytesWritten += len;
        }
        runStart = -1;
      };
      for (const s of d.slotsAscending()) {
        if (!d.changed(s, img)) continue;
        changedSlots[i]!++;
        if (runStart >= 0 && s === runEnd) runEnd++;
        else {
          emit();
          runStart = s;
          runEnd = s + 1;
        }
      }
      emit();
      if (!write) d.restore(img);
    }
    if (bytesWritten > 0 && sync && this.mem === undefined) {
      try {
        fdatasyncSync(this.fd);
      } catch (err) {
        throw ioError(err, this.path, 'sync');
      }
    }
    return { changedSlots, bytesWritten };
  }
}

/** The slots written in one archive image, with the 12 bytes each held before its first write. */
class DirtySet {
  private readonly pos: Int32Array; // slot → 1 + index into `slots`, 0 = untouched
  private readonly slots: number[] = [];
  private saved = Buffer.allocUnsafe(64 * POINT_SIZE);

  constructor(private readonly points: number) {
    this.pos = new Int32Array(points);
  }

  mark(slot: number, img: Buffer): void {
    if (this.pos[slot] !== 0) return;
    const k = this.slots.length;
    this.slots.push(slot);
    this.pos[slot] = k + 1;
    if ((k + 1) * POINT_SIZE > this.saved.length) {
      const bigger = Buffer.allocUnsafe(this.saved.length * 2);
      this.saved.copy(bigger);
      this.saved = bigger;
    }
    img.copy(this.saved, k * POINT_SIZE, slot * POINT_SIZE, slot * POINT_SIZE + POINT_SIZE);
  }

  /** Touched slots in ascending order (sorting a short list, scanning the marks for a long one). */
  slotsAscending(): Iterable<number> {
    if (this.slots.length * 16 < this.points) return Float64Array.from(this.slots).sort();
    const out: number[] = [];
    for (let s = 0; s < this.points; s++) if (this.pos[s] !== 0) out.push(s);
    return out;
  }

  changed(slot: number, img: Buffer): boolean {
    const at = (this.pos[slot]! - 1) * POINT_SIZE;
    return img.compare(this.saved, at, at + POINT_SIZE, slot * POINT_SIZE, slot * POINT_SIZE + POINT_SIZE) !== 0;
  }

  restore(img: Buffer): void {
    this.slots.forEach((slot, k) => this.saved.copy(img, slot * POINT_SIZE, k * POINT_SIZE, k * POINT_SIZE + POINT_SIZE));
  }
}
