// File I/O on a storage node over SFTP: each request is one call of ssh2's SFTP client wrapped so
// that it fails cleanly (SshError with an fs-like code and the node's name) instead of hanging when
// the connection goes; reads and writes are pipelined (up to PIPELINE requests in flight) with the
// largest chunk the server allows (OpenSSH's limits@openssh.com: 255 KiB).
import type { Stats as SftpStats } from 'ssh2';
import type { Live, SshConnection } from './ssh-session.js';

export const PIPELINE = 16;

/**
 * Data requests (reads and writes of all files together) in flight on one connection: 16 × 255 KiB,
 * 4 MiB. Fewer leave the node idle between answers where sftp-server is a program of its own behind a
 * pipe (OpenSSH's default `Subsystem sftp …/sftp-server`): 8 took 9 % longer on the bench's 669 MB,
 * 16 and 32 the same. More does not move data faster (a few MiB cover the bandwidth-delay product of
 * any link a cluster uses) but makes every small request (stat, open, fsync, link) wait behind
 * megabytes queued in sftp-server and in the channel (with 8 copies × 16 reads a stat waited ~100 ms).
 * Ours queue here instead, in order.
 */
const DATA_INFLIGHT = 16;

export type Handle = Buffer;

export class SftpIo {
  private dataInflight = 0;
  private dataWaiters: (() => void)[] = [];

  constructor(private readonly conn: SshConnection) {}

  /** A data request's turn (FIFO, so each file's requests go out in the order they were made). */
  private dataSlot(): Promise<void> | null {
    if (this.dataInflight < DATA_INFLIGHT && this.dataWaiters.length === 0) {
      this.dataInflight++;
      return null;
    }
    return new Promise((r) => this.dataWaiters.push(r));
  }

  /** The slot goes straight to the next waiter (the count stays), else it is freed. */
  private dataDone(): void {
    const next = this.dataWaiters.shift();
    if (next !== undefined) next();
    else this.dataInflight--;
  }

  private async data<T>(send: () => Promise<T>): Promise<T> {
    const wait = this.dataSlot();
    if (wait !== null) await wait;
    try {
      return await send();
    } finally {
      this.dataDone();
    }
  }

  stat(live: Live, abs: string, lstat: boolean): Promise<SftpStats> {
    return this.conn.request<SftpStats>(live, 'stat', abs, (cb) => (lstat ? live.sftp.lstat(abs, cb) : live.sftp.stat(abs, cb)));
  }

  realpath(live: Live, abs: string): Promise<string> {
    return this.conn.request<string>(live, 'realpath', abs, (cb) => live.sftp.realpath(abs, cb));
  }

  readlink(live: Live, abs: string): Promise<string> {
    return this.conn.request<string>(live, 'readlink', abs, (cb) => live.sftp.readlink(abs, cb));
  }

  open(live: Live, abs: string, flags: string, mode?: number): Promise<Handle> {
    return this.conn.request<Handle>(live, 'open', abs, (cb) =>
      live.sftp.open(abs, flags as 'r', mode === undefined ? {} : { mode }, cb as (e: Error | undefined, h: Buffer) => void),
    );
  }

  close(live: Live, h: Handle): Promise<void> {
    return this.conn.request<void>(live, 'close', '', (cb) => live.sftp.close(h, (e) => cb(e, undefined))).catch(() => undefined);
  }

  fstat(live: Live, h: Handle, abs: string): Promise<SftpStats> {
    return this.conn.request<SftpStats>(live, 'stat', abs, (cb) => live.sftp.fstat(h, cb));
  }

  chunkSize(live: Live): number {
    const max = (live.sftp as unknown as { _maxReadLen?: number })._maxReadLen ?? 32768;
    return Math.max(4096, Math.min(256 * 1024, max));
  }

  writeChunkSize(live: Live): number {
    const max = (live.sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 32768;
    return Math.max(4096, Math.min(256 * 1024, max));
  }

  /** `len` bytes at `pos` (fewer at the end of the file), into `into` when given (at least `len` long). */
  readAt(live: Live, h: Handle, abs: string, pos: number, len: number, into?: Buffer): Promise<Buffer> {
    return this.data(() => {
      const buf = into ?? Buffer.allocUnsafe(len);
      return this.conn.request<Buffer>(live, 'read', abs, (cb) =>
        live.sftp.read(h, buf, 0, len, pos, (e, n) => cb(e, e ? buf : n === len ? buf : buf.subarray(0, n))),
      );
    });
  }

  /**
   * Bytes [start, end) in order, with up to PIPELINE reads in flight; stops early at end of file.
   * With `into` (at least end - start long) the chunks are views of it, in place: no copy to join them.
   */
  async *readPipelined(live: Live, h: Handle, abs: string, start: number, end: number, into?: Buffer): AsyncGenerator<Buffer> {
    const at = (pos: number, len: number) => (into === undefined ? undefined : into.subarray(pos - start, pos - start + len));
    const chunk = this.chunkSize(live);
    const inflight: { pos: number; len: number; p: Promise<Buffer> }[] = [];
    let next = start;
    const issue = () => {
      while (next < end && inflight.length < PIPELINE) {
        const len = Math.min(chunk, end - next);
        const p = this.readAt(live, h, abs, next, len, at(next, len));
        p.catch(() => undefined);
        inflight.push({ pos: next, len, p });
        next += len;
      }
    };
    issue();
    while (inflight.length > 0) {
      const r = inflight.shift()!;
      let buf = await r.p;
      if (buf.length === 0) return; // end of file
      // A short read in the middle: fetch the rest of this piece before moving on.
      while (buf.length < r.len) {
        yield buf;
        const more = await this.readAt(live, h, abs, r.pos + buf.length, r.len - buf.length, at(r.pos + buf.length, r.len - buf.length));
        if (more.length === 0) return;
        r.pos += buf.length;
        r.len -= buf.length;
        buf = more;
      }
      yield buf;
      issue();
    }
  }

  writeAt(live: Live, h: Handle, abs: string, pos: number, data: Buffer): Promise<void> {
    return this.data(() =>
      this.conn.request<void>(live, 'write', abs, (cb) => live.sftp.write(h, data, 0, data.length, pos, (e) => cb(e, undefined))),
    );
  }

  /** Write `data` at `pos` in chunks the server accepts, all in flight at once. */
  async writeAll(live: Live, h: Handle, abs: string, pos: number, data: Buffer): Promise<void> {
    const max = this.writeChunkSize(live);
    const all: Promise<void>[] = [];
    for (let o = 0; o < data.length; o += max)
      all.push(this.writeAt(live, h, abs, pos + o, data.subarray(o, Math.min(data.length, o + max))));
    await Promise.all(all);
  }

  futimes(live: Live, h: Handle, abs: string, atimeS: number, mtimeS: number): Promise<void> {
    return this.conn.request<void>(live, 'set the times of', abs, (cb) => live.sftp.futimes(h, atimeS, mtimeS, (e) => cb(e, undefined)));
  }

  hasFsync(live: Live): boolean {
    return live.ext['fsync@openssh.com'] === '1';
  }

  fsync(live: Live, h: Handle, abs: string): Promise<void> {
    return this.conn.request<void>(live, 'fsync', abs, (cb) => live.sftp.ext_openssh_fsync(h, (e: Error | undefined) => cb(e, undefined)));
  }

  hardlink(live: Live, from: string, to: string): Promise<void> {
    return this.conn.request<void>(live, 'link', to, (cb) =>
      live.sftp.ext_openssh_hardlink(from, to, (e?: Error | null) => cb(e, undefined)),
    );
  }

  rename(live: Live, from: string, to: string): Promise<void> {
    return this.conn.request<void>(live, 'rename', to, (cb) => live.sftp.rename(from, to, (e) => cb(e, undefined)));
  }

  posixRename(live: Live, from: string, to: string): Promise<void> {
    return this.conn.request<void>(live, 'rename', to, (cb) =>
      live.sftp.ext_openssh_rename(from, to, (e?: Error | null) => cb(e, undefined)),
    );
  }

  unlink(live: Live, abs: string): Promise<void> {
    return this.conn.request<void>(live, 'unlink', abs, (cb) => live.sftp.unlink(abs, (e) => cb(e, undefined)));
  }

  rmdir(live: Live, abs: string): Promise<void> {
    return this.conn.request<void>(live, 'rmdir', abs, (cb) => live.sftp.rmdir(abs, (e) => cb(e, undefined)));
  }

  mkdir(live: Live, abs: string, mode: number): Promise<void> {
    return this.conn.request<void>(live, 'mkdir', abs, (cb) => live.sftp.mkdir(abs, { mode }, (e) => cb(e, undefined)));
  }

  readdir(live: Live, abs: string): Promise<{ filename: string; attrs: SftpStats }[]> {
    return this.conn.request(live, 'readdir', abs, (cb) => live.sftp.readdir(abs, cb as never));
  }

  /** statvfs@openssh.com: sizes of the filesystem holding `abs`, or null when the server lacks it. */
  async statvfs(live: Live, abs: string): Promise<{ frsize: number; blocks: number; bfree: number; bavail: number } | null> {
    if (live.ext['statvfs@openssh.com'] !== '2') return null;
    type Vfs = {
      f_frsize: number | bigint | string;
      f_blocks: number | bigint | string;
      f_bfree: number | bigint | string;
      f_bavail: number | bigint | string;
    };
    try {
      const v = await this.conn.request<Vfs>(live, 'statvfs', abs, (cb) => live.sftp.ext_openssh_statvfs(abs, cb as never));
      const out = { frsize: Number(v.f_frsize), blocks: Number(v.f_blocks), bfree: Number(v.f_bfree), bavail: Number(v.f_bavail) };
      return Object.values(out).every(Number.isFinite) ? out : null;
    } catch {
      return null;
    }
  }
}
