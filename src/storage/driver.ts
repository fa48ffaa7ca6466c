// What every storage backend offers: the local driver (local disks, NFS mounts) and the ssh:// driver
// (SFTP for files, a remote `find` for listing, a long-lived remote shell for the rest). Every path
// given to a driver is POSIX and relative to its root; a driver refuses paths that would leave the root.
import type { Readable } from 'node:stream';
import { DataError } from '../errors.js';

/** One file (or symlink) found by a listing. */
export interface WalkEntry {
  /**
   * POSIX path relative to the root (dir + '/' + name). For names that are not valid UTF-8 it is an
   * escaped rendering (`\xNN`, `\\`), marked by `badName`, and cannot be passed back to the driver.
   */
  rel: string;
  /** The parent directory's relative path ('' at the root); one string object per directory. */
  dir: string;
  /** The last path segment. */
  name: string;
  type: 'file' | 'symlink' | 'unreadable';
  /** Bytes; present when the listing was asked to stat. */
  size?: number;
  /** Modification time in ms since the epoch; present when the listing was asked to stat. */
  mtimeMs?: number;
  /** Symlinks: the link text (readlink). */
  target?: string;
  /** Set when `rel` is an escaped rendering of a non-UTF-8 name. */
  badName?: true;
  /** Why a symlink was not followed, how a file was reached, or a read error ('unreadable'). */
  note?: string;
}

export interface ListOptions {
  /** Report files whose name ends with this (default '.wsp'; '' for every file). Symlinks are always reported. */
  suffix?: string | undefined;
  /** lstat every reported file for size and mtime (default false: names and types only). */
  stat?: boolean | undefined;
  /** Follow symlinks whose target stays inside the root (default false: report them, do not follow). */
  followSymlinks?: boolean | undefined;
  /** Parallel directory readers (local driver: worker threads; default min(4, CPUs), 8 on NFS/SMB/FUSE). */
  concurrency?: number | undefined;
  /** Entries per yielded batch (about). */
  batchSize?: number | undefined;
  /** Called with running totals as the listing progresses (about once per batch). */
  onProgress?: ((p: ListProgress) => void) | undefined;
}

export interface ListProgress {
  dirs: number;
  files: number;
}

export interface FileInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
  mode: number;
}

export interface FreeSpace {
  /** Bytes on the filesystem. */
  total: number;
  /** Bytes free for an unprivileged writer (statfs bavail). */
  available: number;
  /** Bytes free, the root-reserved blocks included (statfs bfree): used = total - free. */
  free: number;
}

/**
 * Which file is at a path and in which state, as evidence that can be checked again later: device and
 * inode (a replaced file has another), size, and modification and change times in nanoseconds
 * ("seconds.nanoseconds", exact strings; ctime moves on every write, even one that restores mtime).
 */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: number;
  mtime: string;
  ctime: string;
}

export interface UnlinkOptions {
  grouped?: boolean;
  deferred?: boolean;
}

export interface WriteOptions {
  /** Replace an existing file (default false: fail with DataError if the target exists). */
  overwrite?: boolean;
  /** Permission bits for a new file (default 0o644). */
  mode?: number;
  /** Set the file's mtime (ms since the epoch) before it becomes visible. */
  mtimeMs?: number;
  /**
   * Name of the temp file in the target's directory (default: a random hidden name). A caller that
   * journals it before writing can remove the file after a crash.
   */
  tempName?: string;
  /**
   * Local driver, whole-buffer data: a scratch buffer longer than the data; the temp file is read back
   * into it through the descriptor that wrote it and must equal the data (DataError otherwise).
   */
  readBack?: Buffer;
  /** Called with the temp file's relative path once it is synced, before it is moved into place; throwing aborts. */
  beforePlace?: (tempRel: string) => Promise<void>;
  /** Called right after the file is in place, before the directory (or barrier) sync is awaited. */
  onPlaced?: () => void;
  /**
   * Durability through the driver's shared sync rounds (syncPaths) instead of an fsync of this file
   * and one of its directory of its own: the temp file is made durable by a round before it is placed,
   * the placement (its directory) by a round after. Many concurrent writers share each round.
   */
  grouped?: boolean;
}

export interface StorageDriver {
  /** 'file' or 'ssh'. */
  readonly scheme: string;
  /** Where the root is, as a URL: file:///real/path or ssh://user@host:port/path. */
  readonly url: string;
  /** The root path on its system (a realpath for local roots). */
  readonly root: string;

  /** Stream the files under the root in batches (no whole-tree arrays). Order is unspecified. */
  list(opts?: ListOptions): AsyncGenerator<WalkEntry[]>;
  /** lstat semantics (a symlink is reported as one); null when nothing is there. */
  stat(rel: string): Promise<FileInfo | null>;
  /** Whole file (whisper files are small); refuses symlinks. */
  readFile(rel: string): Promise<Buffer>;
  /**
   * Whole file into `buf` (no allocation, no join): at most buf.length bytes, the view of what was read;
   * a caller that expects N bytes passes N + 1 to see a file that grew. Refuses symlinks; `lstat`, a
   * stat of `rel` the caller just took (a regular file), spares a driver that cannot open without
   * following links its own, and the caller then stats the path again after the read (a symlink put
   * there meanwhile is seen then).
   */
  readInto?(rel: string, buf: Buffer, lstat?: FileInfo): Promise<Buffer>;
  /** A byte range (inclusive end, like fs.createReadStream); refuses symlinks. */
  openRead(rel: string, range?: { start?: number; end?: number }): Promise<Readable>;
  /**
   * Write through a temp file in the target's directory (creating missing directories), fsync it, then
   * move it into place (no-clobber unless `overwrite`) and fsync the directory. The target is either
   * untouched or complete.
   */
  writeAtomic(rel: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts?: WriteOptions): Promise<void>;
  /** Move within this root (no-clobber unless `overwrite`); creates the target's directories. */
  rename(fromRel: string, toRel: string, opts?: { overwrite?: boolean }): Promise<void>;
  /**
   * Remove one file (never a directory), durably: its directory synced, or a shared barrier when
   * `grouped`. `deferred`: the directory joins the next shared round (or `syncPaths([])`) and this call
   * does not wait for it (for deletes whose undoing by a crash would only bring a stale copy back).
   */
  unlink(rel: string, opts?: UnlinkOptions): Promise<void>;
  /** Identity and state of a regular file (not following a symlink at the path); null when nothing is there. */
  fileIdentity(rel: string): Promise<FileIdentity | null>;
  /**
   * Make these files or directories durable (fsync), in one round shared with every caller waiting
   * at the time (group commit).
   */
  syncPaths(rels: readonly string[]): Promise<void>;
  /**
   * Remove a directory below the root if it is empty (never the root: '' is refused; never a symlink).
   * true when removed, false when it is not empty or already gone (over ssh: when it could not be
   * removed at all, since SFTP does not say why); other failures throw. Not synced: a removal lost in a
   * crash only leaves an empty directory.
   */
  removeEmptyDir(rel: string): Promise<boolean>;
  /** Free space of the filesystem holding the root. */
  freeSpace(): Promise<FreeSpace>;
  /** A string equal for two drivers exactly when they reach the same directory. */
  identity(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Check a root-relative path: POSIX, non-empty, no absolute path, no '.'/'..'/empty segments, no NUL.
 * Returns it unchanged; throws DataError otherwise. Drivers call it on every path they are given.
 */
export function checkRelPath(rel: string): string {
  if (rel === '' || rel.includes('\0') || rel[0] === '/' || rel.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new DataError(`refusing a path outside the storage root: ${JSON.stringify(rel)}`, {
      expected: 'a relative path like a/b/c.wsp without . or .. segments',
    });
  }
  return rel;
}
