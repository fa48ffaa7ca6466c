// Storage on a local directory (or an NFS mount). Every operation checks that it stays inside the real
// root: relative paths are validated, and the real directory a file lives in must be under the root, so a
// symlinked directory cannot carry a read or a write outside it. The real path of each directory is
// resolved once per driver (a whisper tree has one directory per ~40 files, and apply touches each file
// several times) and forgotten when this driver removes a directory: a directory swapped for a symlink
// by someone else during a run is not noticed, as it would not be between a realpath and the open
// that follows it either. Final components are never followed (lstat, O_NOFOLLOW, link). The calls on
// apply's path are made directly on local disks and through the thread pool on network filesystems
// (local-syscalls.ts).
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { DataError, UsageError } from '../errors.js';
import { fsyncDir } from '../fs-durable.js';
import { checkRelPath } from './driver.js';
import type { FileIdentity, FileInfo, FreeSpace, ListOptions, StorageDriver, UnlinkOptions, WalkEntry, WriteOptions } from './driver.js';
import { FilesystemSync } from './filesystem-sync.js';
import { GroupSync } from './group-sync.js';
import { POOLED_IO_BYTES, syscallsFor, type LocalSyscalls } from './local-syscalls.js';
import { walkTree } from './walker.js';

export class LocalDriver implements StorageDriver {
  readonly scheme = 'file';
  readonly url: string;
  private readonly group = new GroupSync((paths) => this.syncRound(paths));
  private readonly syncfs: FilesystemSync;
  /** Directories (absolute, as joined) whose real path was found inside the root. */
  private readonly confined = new Set<string>();

  private constructor(
    readonly root: string,
    private readonly io: LocalSyscalls,
  ) {
    this.url = pathToFileURL(root).href;
    this.syncfs = new FilesystemSync(root);
  }

  /** Sync rounds run for syncPaths() (tests, benches). */
  get syncRounds(): number {
    return this.group.rounds;
  }

  /**
   * One round: a few files are fsynced each (in parallel); a bigger round is one syncfs of the
   * filesystem, cheaper than many fsyncs, like `cp -r; sync`.
   */
  private async syncRound(abs: string[]): Promise<void> {
    if (abs.length >= SYNCFS_MIN_PATHS) return this.syncfs.sync();
    await Promise.all(abs.map((p) => fsyncPath(p)));
  }

  /** Open a local root: resolves symlinks in `path` (a data dir is often a link) and requires a directory. */
  static async open(path: string): Promise<LocalDriver> {
    let real: string;
    try {
      real = await fs.promises.realpath(path);
    } catch (err) {
      throw new UsageError(`storage directory ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        expected: 'an existing directory',
      });
    }
    const st = await fs.promises.stat(real);
    if (!st.isDirectory()) throw new UsageError(`storage path ${path} is not a directory`, { expected: 'a directory' });
    return new LocalDriver(real, await syscallsFor(real));
  }

  list(opts: ListOptions = {}): AsyncGenerator<WalkEntry[]> {
    return walkTree(this.root, opts);
  }

  private abs(rel: string): string {
    checkRelPath(rel);
    return this.root === '/' ? '/' + rel : this.root + '/' + rel;
  }

  /**
   * The real directory `abs` sits in must be inside the root (symlinked directories included). A
   * directory already confined answers at once (no promise), so callers await only a real lookup.
   */
  private confine(abs: string): Promise<void> | undefined {
    const dir = dirname(abs);
    return this.confined.has(dir) ? undefined : this.confineDir(abs, dir);
  }

  private async confineDir(abs: string, dir: string): Promise<void> {
    const realDir = await fs.promises.realpath(dir);
    if (realDir !== this.root && !realDir.startsWith(this.root === '/' ? '/' : this.root + '/')) {
      throw new DataError(`refusing ${abs}: its directory resolves to ${realDir}, outside the storage root ${this.root}`);
    }
    if (this.confined.size >= CONFINED_MAX) this.confined.clear();
    this.confined.add(dir);
  }

  async stat(rel: string): Promise<FileInfo | null> {
    const abs = this.abs(rel);
    const c = this.confine(abs);
    if (c !== undefined) {
      try {
        await c;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    }
    const r = this.io.lstat(abs);
    const st = r instanceof Promise ? await r : r;
    return st === undefined ? null : toFileInfo(st);
  }

  /**
   * Read a whole file (not through a symlink) into `buf`, which must be longer than the file is
   * expected to be; the view of what was read. A file that grew fills the buffer (more than
   * expected: a size check fails). A short read of a regular file is its end: one read a file.
   */
  async readInto(rel: string, buf: Buffer): Promise<Buffer> {
    const abs = this.abs(rel);
    const c = this.confine(abs);
    if (c !== undefined) await c;
    if (this.io.direct && buf.length < POOLED_IO_BYTES) {
      // A small file on a local disk: open, read and close answer at once; no await between them.
      const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        return buf.subarray(0, readUpToSync(fd, buf));
      } finally {
        fs.closeSync(fd);
      }
    }
    const fd = await this.io.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return buf.subarray(0, await readUpTo(this.io, fd, buf));
    } finally {
      await this.io.close(fd);
    }
  }

  async readFile(rel: string): Promise<Buffer> {
    const abs = this.abs(rel);
    await this.confine(abs);
    const fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async openRead(rel: string, range: { start?: number; end?: number } = {}): Promise<Readable> {
    const abs = this.abs(rel);
    await this.confine(abs);
    const fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    return fh.createReadStream({ start: range.start, end: range.end, autoClose: true });
  }

  private async makeParents(abs: string): Promise<void> {
    // The deepest existing ancestor must already be inside the root, or mkdir -p could create
    // directories through a symlinked one somewhere else.
    const dir = dirname(abs);
    if (this.confined.has(dir)) return;
    let existing = dir;
    while (existing.length > this.root.length) {
      try {
        await fs.promises.lstat(existing);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        existing = dirname(existing);
      }
    }
    await this.confine(existing + '/x');
    if (existing !== dir) await fs.promises.mkdir(dir, { recursive: true });
    await this.confine(abs);
  }

  async writeAtomic(rel: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts: WriteOptions = {}): Promise<void> {
    const abs = this.abs(rel);
    await this.makeParents(abs);
    const tmp = opts.tempName === undefined ? tempName(abs) : `${dirname(abs)}/${checkTempName(opts.tempName)}`;
    const whole = data instanceof Uint8Array ? data : null;
    const readBack = whole !== null ? (opts.readBack ?? null) : null;
    const fd = await this.createTemp(abs, tmp, opts.mode ?? 0o644, opts.tempName !== undefined);
    let placed = false;
    try {
      try {
        if (whole !== null && this.io.direct && whole.length < POOLED_IO_BYTES && (readBack?.length ?? 0) < POOLED_IO_BYTES) {
          // A small file on a local disk: the same calls, each answering at once, without an await apiece.
          for (let off = 0; off < whole.length;) off += fs.writeSync(fd, whole, off, whole.length - off, off);
          if (opts.mtimeMs !== undefined) fs.futimesSync(fd, new Date(), new Date(opts.mtimeMs));
          if (readBack !== null) checkReadBack(readUpToSync(fd, readBack), readBack, whole, tmp);
        } else {
          if (data instanceof Uint8Array) await writeAll(this.io, fd, data, 0);
          else {
            let at = 0;
            for await (const chunk of data) at = await writeAll(this.io, fd, chunk, at);
          }
          if (opts.mtimeMs !== undefined) await this.io.futimes(fd, new Date(), new Date(opts.mtimeMs));
          if (readBack !== null && whole !== null) checkReadBack(await readUpTo(this.io, fd, readBack), readBack, whole, tmp);
        }
        if (opts.grouped !== true) await fsyncFd(fd);
      } finally {
        await this.io.close(fd);
      }
      if (opts.beforePlace !== undefined) await opts.beforePlace(posix.join(posix.dirname(rel), posix.basename(tmp)));
      if (opts.grouped === true) await this.group.barrier([tmp]);
      await this.place(tmp, abs, opts.overwrite === true);
      placed = true;
      opts.onPlaced?.();
      if (opts.grouped === true) await this.group.barrier([dirname(abs)]);
      else await fsyncDir(dirname(abs));
    } finally {
      if (!placed) await fs.promises.rm(tmp, { force: true });
    }
  }

  /**
   * Create the temp file (exclusive). A caller-named temp that exists was left by a killed run of
   * the same action: it is removed and created afresh. A directory this driver knew that is gone
   * (removed meanwhile) is made again.
   */
  private async createTemp(abs: string, tmp: string, mode: number, named: boolean): Promise<number> {
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.io.open(tmp, flags, mode);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt > 0) throw err;
        if (code === 'EEXIST' && named && (await this.io.lstat(tmp))?.isFile() === true) await this.io.unlink(tmp);
        else if (code === 'ENOENT') {
          this.confined.clear();
          await this.makeParents(abs);
        } else throw err;
      }
    }
  }

  /** Move tmp to abs: rename when replacing is allowed, link + unlink otherwise (atomic no-clobber). */
  private async place(tmp: string, abs: string, overwrite: boolean): Promise<void> {
    if (overwrite) {
      await fs.promises.rename(tmp, abs);
      return;
    }
    try {
      await this.io.link(tmp, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DataError(`refusing to replace existing ${abs}`);
      throw err;
    }
    await this.io.unlink(tmp);
  }

  async rename(fromRel: string, toRel: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    const from = this.abs(fromRel);
    const to = this.abs(toRel);
    await this.confine(from);
    const st = await fs.promises.lstat(from);
    if (!st.isFile()) throw new DataError(`refusing to move ${from}: not a regular file`);
    await this.makeParents(to);
    await this.place(from, to, opts.overwrite === true);
    await fsyncDir(dirname(to));
    if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
  }

  async removeEmptyDir(rel: string): Promise<boolean> {
    const abs = this.abs(rel);
    try {
      await this.confine(abs);
      if (!(await fs.promises.lstat(abs)).isDirectory()) throw new DataError(`refusing to remove ${abs}: not a directory`);
      await fs.promises.rmdir(abs);
      this.confined.clear();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
      throw err;
    }
    return true;
  }

  async unlink(rel: string, opts: UnlinkOptions = {}): Promise<void> {
    const abs = this.abs(rel);
    await this.confine(abs);
    const st = await this.io.lstat(abs);
    if (st === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, unlink '${abs}'`), { code: 'ENOENT', path: abs });
    if (st.isDirectory()) throw new DataError(`refusing to unlink ${abs}: a directory`);
    await this.io.unlink(abs);
    if (opts.deferred === true) this.group.defer([dirname(abs)]);
    else if (opts.grouped === true) await this.group.barrier([dirname(abs)]);
    else await fsyncDir(dirname(abs));
  }

  async fileIdentity(rel: string): Promise<FileIdentity | null> {
    const abs = this.abs(rel);
    const c = this.confine(abs);
    if (c !== undefined) await c;
    const r = this.io.lstatBig(abs);
    const st = r instanceof Promise ? await r : r;
    return st !== undefined && st.isFile() ? identityOf(st) : null;
  }

  async syncPaths(rels: readonly string[]): Promise<void> {
    const abs = rels.map((r) => (r === '' ? this.root : this.abs(r)));
    for (const a of abs) if (a !== this.root) await this.confine(a);
    return this.group.barrier(abs);
  }

  async freeSpace(): Promise<FreeSpace> {
    const s = await fs.promises.statfs(this.root);
    return { total: s.blocks * s.bsize, available: s.bavail * s.bsize, free: s.bfree * s.bsize };
  }

  async identity(): Promise<string> {
    return this.url;
  }

  async close(): Promise<void> {
    this.syncfs.close();
  }
}

/**
 * Rounds of this many paths or more are one syncfs instead of an fsync each. Few paths a round is
 * what big files give (a 3 MB copy takes a while): their own fsyncs flush just their data, where a
 * syncfs would flush every other writer's too. Many paths a round are small files: one syncfs beats
 * a hundred fsyncs (measured, loaded 2-core VM: 3 MB files faster at 32 than at 4, 10 KB files the
 * other way round).
 */
const SYNCFS_MIN_PATHS = 16;
/** Directories whose confinement is remembered (then the memory starts over). */
const CONFINED_MAX = 65_536;

/** Write all of `data` at `at`; the offset after it. */
async function writeAll(io: LocalSyscalls, fd: number, data: Uint8Array, at: number): Promise<number> {
  for (let off = 0; off < data.length;) off += await io.write(fd, data, off, data.length - off, at + off);
  return at + data.length;
}

/** The temp file read back (n bytes in `back`) must be exactly what was written. */
function checkReadBack(n: number, back: Buffer, written: Uint8Array, tmp: string): void {
  if (n !== written.length || !back.subarray(0, n).equals(written))
    throw new DataError('the temp copy differs from the data written', { file: tmp });
}

/** readUpTo with synchronous reads (small buffers on local disks). */
function readUpToSync(fd: number, buf: Buffer): number {
  let n = 0;
  for (;;) {
    const want = buf.length - n;
    const got = fs.readSync(fd, buf, n, want, n);
    n += got;
    if (got === 0 || got < want || n === buf.length) return n;
  }
}

/** Read from the start of `fd` until its end or until `buf` is full; the bytes read. */
async function readUpTo(io: LocalSyscalls, fd: number, buf: Buffer): Promise<number> {
  let n = 0;
  for (;;) {
    const want = buf.length - n;
    const got = await io.read(fd, buf, n, want, n);
    n += got;
    if (got === 0 || got < want || n === buf.length) return n;
  }
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function toFileInfo(st: fs.Stats): FileInfo {
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { type, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 };
}

/** Hidden, pid-tagged, not ending in .wsp: a scan never mistakes it for a metric. */
function tempName(abs: string): string {
  const base = posix.basename(abs);
  return `${dirname(abs)}/.${base}.ringshift-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/** A caller's temp name: one hidden path segment, never a metric name. */
export function checkTempName(name: string): string {
  if (!name.startsWith('.') || name.includes('/') || name.includes('\0') || name === '.' || name === '..' || name.endsWith('.wsp')) {
    throw new DataError(`bad temp file name ${JSON.stringify(name)}`, { expected: 'a hidden file name (.x.tmp) without /' });
  }
  return name;
}

/** Identity evidence of a local file from a bigint stat (nanosecond times). */
function identityOf(st: fs.BigIntStats): FileIdentity {
  const ns = (t: bigint) => `${t / 1_000_000_000n}.${String(t % 1_000_000_000n).padStart(9, '0')}`;
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtime: ns(st.mtimeNs), ctime: ns(st.ctimeNs) };
}

/** fsync a file or directory by path. */
async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.promises.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
