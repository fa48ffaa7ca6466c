// Storage on a local directory (or an NFS mount). Every operation checks that it stays inside the real
// root: relative paths are validated, and the real directory a file lives in must be under the root, so a
// symlinked directory cannot carry a read or a write outside it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { DataError, UsageError } from '../errors.js';
import { fsyncDir } from '../fs-durable.js';
import { checkRelPath } from './driver.js';
import type { FileIdentity, FileInfo, FreeSpace, ListOptions, StorageDriver, WalkEntry, WriteOptions } from './driver.js';
import { GroupSync } from './group-sync.js';
import { walkTree } from './walker.js';

export class LocalDriver implements StorageDriver {
  readonly scheme = 'file';
  readonly url: string;
  private readonly group = new GroupSync((paths) => this.syncRound(paths));

  private constructor(readonly root: string) {
    this.url = pathToFileURL(root).href;
  }

  /** Sync rounds run for syncPaths() (tests, benches). */
  get syncRounds(): number {
    return this.group.rounds;
  }

  /**
   * One round: a few files are fsynced each (in parallel); a big round is one syncfs of the
   * filesystem (`sync -f`), cheaper than hundreds of fsyncs, like `cp -r; sync`.
   */
  private async syncRound(abs: string[]): Promise<void> {
    if (abs.length > 32) return syncFilesystem(this.root);
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
    return new LocalDriver(real);
  }

  list(opts: ListOptions = {}): AsyncGenerator<WalkEntry[]> {
    return walkTree(this.root, opts);
  }

  private abs(rel: string): string {
    checkRelPath(rel);
    return this.root === '/' ? '/' + rel : this.root + '/' + rel;
  }

  /** The real directory `abs` sits in must be inside the root (symlinked directories included). */
  private async confine(abs: string): Promise<void> {
    const realDir = await fs.promises.realpath(dirname(abs));
    if (realDir !== this.root && !realDir.startsWith(this.root === '/' ? '/' : this.root + '/')) {
      throw new DataError(`refusing ${abs}: its directory resolves to ${realDir}, outside the storage root ${this.root}`);
    }
  }

  async stat(rel: string): Promise<FileInfo | null> {
    const abs = this.abs(rel);
    try {
      await this.confine(abs);
      const st = await fs.promises.lstat(abs);
      return toFileInfo(st);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
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
    const fh = await fs.promises.open(tmp, 'wx', opts.mode ?? 0o644);
    let placed = false;
    try {
      try {
        if (data instanceof Uint8Array) await fh.writeFile(data);
        else for await (const chunk of data) await fh.write(chunk);
        if (opts.mtimeMs !== undefined) await fh.utimes(new Date(), new Date(opts.mtimeMs));
        if (opts.grouped !== true) await fh.sync();
      } finally {
        await fh.close();
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

  /** Move tmp to abs: rename when replacing is allowed, link + unlink otherwise (atomic no-clobber). */
  private async place(tmp: string, abs: string, overwrite: boolean): Promise<void> {
    if (overwrite) {
      await fs.promises.rename(tmp, abs);
      return;
    }
    try {
      await fs.promises.link(tmp, abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DataError(`refusing to replace existing ${abs}`);
      throw err;
    }
    await fs.promises.unlink(tmp);
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
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
      throw err;
    }
    return true;
  }

  async unlink(rel: string, opts: { grouped?: boolean } = {}): Promise<void> {
    const abs = this.abs(rel);
    await this.confine(abs);
    const st = await fs.promises.lstat(abs);
    if (st.isDirectory()) throw new DataError(`refusing to unlink ${abs}: a directory`);
    await fs.promises.unlink(abs);
    if (opts.grouped === true) await this.group.barrier([dirname(abs)]);
    else await fsyncDir(dirname(abs));
  }

  async fileIdentity(rel: string): Promise<FileIdentity | null> {
    const abs = this.abs(rel);
    await this.confine(abs);
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.lstat(abs, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return st.isFile() ? identityOf(st) : null;
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

  async close(): Promise<void> {}
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

/**
 * syncfs(2) of the filesystem holding `dir`, through coreutils' `sync -f` (Node has no syncfs): one
 * call makes every file and directory written there durable. Without `sync -f`: a plain sync.
 */
function syncFilesystem(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', '--', dir], { timeout: 600_000 }, (err) => {
      if (err === null) return resolve();
      execFile('sync', [], { timeout: 600_000 }, (err2) =>
        err2 === null ? resolve() : reject(new Error(`sync -f ${dir} failed: ${err.message.trim()}`)),
      );
    });
  });
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
