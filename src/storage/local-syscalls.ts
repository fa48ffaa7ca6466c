// The file system calls of the local driver, in two flavours with one signature. On a local disk a
// metadata call or a page-cache read costs a few microseconds, and handing it to libuv's thread pool
// costs four times that in CPU (a queue, a thread wake-up, a completion wake-up): copying 2000 small
// whisper files is ~30 such calls each. So on local filesystems the calls are made directly
// (synchronously). On network filesystems (NFS, SMB, FUSE, Ceph, …) a call can wait on a server
// for minutes, and a blocked event loop would stop timers, progress and signal handling with it:
// there every call goes through the thread pool. Callers `await` either flavour alike. Big reads and
// writes (a 3 MB whisper file) go through the pool on local disks too: the copy of megabytes is worth
// a thread, and it overlaps the checks the event loop runs meanwhile (a second core at work).
//
// Descriptors are plain numbers (no FileHandle objects to allocate and finalise); callers close them
// in `finally`.
import * as fs from 'node:fs';

type Maybe<T> = T | Promise<T>;

export interface LocalSyscalls {
  /** Every call answers synchronously (the direct flavour): a caller may skip its awaits. */
  readonly direct: boolean;
  /** lstat; undefined when nothing is there. */
  lstat(path: string): Maybe<fs.Stats | undefined>;
  /** lstat with nanosecond times; undefined when nothing is there. */
  lstatBig(path: string): Maybe<fs.BigIntStats | undefined>;
  open(path: string, flags: number, mode?: number): Maybe<number>;
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): Maybe<number>;
  write(fd: number, data: Uint8Array, offset: number, length: number, position: number): Maybe<number>;
  futimes(fd: number, atime: Date, mtime: Date): Maybe<void>;
  close(fd: number): Maybe<void>;
  link(existing: string, target: string): Maybe<void>;
  unlink(path: string): Maybe<void>;
}

function call<T>(start: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

function absent<T>(p: Promise<T>): Promise<T | undefined> {
  return p.catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

const threaded: LocalSyscalls = {
  direct: false,
  lstat: (p) => absent(call<fs.Stats>((cb) => fs.lstat(p, cb))),
  lstatBig: (p) => absent(call<fs.BigIntStats>((cb) => fs.lstat(p, { bigint: true }, cb as never))),
  open: (p, flags, mode) => call<number>((cb) => fs.open(p, flags, mode, cb)),
  read: (fd, buf, off, len, pos) => call<number>((cb) => fs.read(fd, buf, off, len, pos, cb)),
  write: (fd, data, off, len, pos) => call<number>((cb) => fs.write(fd, data, off, len, pos, cb)),
  futimes: (fd, a, m) => call<void>((cb) => fs.futimes(fd, a, m, cb)),
  close: (fd) => call<void>((cb) => fs.close(fd, cb)),
  link: (a, b) => call<void>((cb) => fs.link(a, b, cb)),
  unlink: (p) => call<void>((cb) => fs.unlink(p, cb)),
};

/** Reads and writes of this many bytes or more go through the thread pool on local disks too. */
export const POOLED_IO_BYTES = 256 * 1024;

const direct: LocalSyscalls = {
  direct: true,
  lstat: (p) => fs.lstatSync(p, { throwIfNoEntry: false }),
  lstatBig: (p) => fs.lstatSync(p, { bigint: true, throwIfNoEntry: false }),
  open: (p, flags, mode) => fs.openSync(p, flags, mode),
  read: (fd, buf, off, len, pos) => (len >= POOLED_IO_BYTES ? threaded.read(fd, buf, off, len, pos) : fs.readSync(fd, buf, off, len, pos)),
  write: (fd, data, off, len, pos) =>
    len >= POOLED_IO_BYTES ? threaded.write(fd, data, off, len, pos) : fs.writeSync(fd, data, off, len, pos),
  futimes: (fd, a, m) => fs.futimesSync(fd, a, m),
  close: (fd) => fs.closeSync(fd),
  link: (a, b) => fs.linkSync(a, b),
  unlink: (p) => fs.unlinkSync(p),
};

/** statfs f_type of filesystems where a call may wait on the network. */
export const NETWORK_FS = new Set([
  0x6969, // NFS
  0x517b, // SMB
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x65735546, // FUSE (sshfs and friends)
  0x00c36400, // Ceph
  0x0bd00bd0, // Lustre
  0x47504653, // GPFS
]);

/** The flavour for the filesystem of `root` (threaded when it cannot be told). */
export async function syscallsFor(root: string): Promise<LocalSyscalls> {
  try {
    const { type } = await fs.promises.statfs(root);
    return NETWORK_FS.has(type >>> 0) ? threaded : direct;
  } catch {
    return threaded;
  }
}
