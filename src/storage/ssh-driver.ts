// Storage on another machine over ssh (ssh://[user@]host[:port]/path). One connection per node
// (ssh-session.ts: login, host keys, a hard channel budget, a watchdog) carries: SFTP for file data
// (ssh-file-io.ts: pipelined positional reads and writes, hardlink@openssh.com for no-clobber
// placement, fsync@openssh.com for durability), one long-lived remote shell for what SFTP cannot do
// (ssh-remote-shell.ts: inode identities, sha256sum, date; asked in batches, ssh-shell-batch.ts), a
// second one that holds carbon-cache's flocks (ssh-locks.ts), and a GNU find for listing
// (ssh-listing.ts). Nothing is installed on the node, and the user's shell startup files run once per
// shell, not once per file.
//
// Keys come from --identity files (or ~/.ssh/id_*), then the ssh agent; host keys are checked against
// known_hosts (ssh-known-hosts.ts). File times are whole seconds (SFTP v3), in list() as in stat(), so
// stamps taken either way compare equal.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { ClientChannel, Stats as SftpStats } from 'ssh2';
import { DataError, UsageError } from '../errors.js';
import { checkRelPath } from './driver.js';
import type { FileIdentity, FileInfo, FreeSpace, ListOptions, StorageDriver, UnlinkOptions, WalkEntry, WriteOptions } from './driver.js';
import { GroupSync } from './group-sync.js';
import { PIPELINE, SftpIo, type Handle } from './ssh-file-io.js';
import { fingerprint } from './ssh-known-hosts.js';
import { SshLister } from './ssh-listing.js';
import { RemoteLocker, type RemoteLock } from './ssh-locks.js';
import { RemoteShell } from './ssh-remote-shell.js';
import { ShellBatcher } from './ssh-shell-batch.js';
import { parseSshUrl, shq, SshConnection, SshError, type Live, type SshOptions } from './ssh-session.js';

export { parseSshUrl, shq } from './ssh-session.js';
export type { SshOptions } from './ssh-session.js';
export type { RemoteLock } from './ssh-locks.js';

/** An open remote file for positional I/O. */
export interface RemoteFile {
  readonly size: number;
  readAll(): Promise<Buffer>;
  /** Bytes [pos, pos + len) (shorter at the end of the file). */
  readRange(pos: number, len: number): Promise<Buffer>;
  write(position: number, data: Buffer): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** How long a filesystem sync on a node may take before we give up on the node (dirty caches can be big). */
const SYNC_TIMEOUT_MS = 600_000;

export class SshDriver implements StorageDriver {
  readonly scheme = 'ssh';
  readonly url: string;
  readonly conn: SshConnection;
  readonly io: SftpIo;
  /** Remote clock minus local clock (ms), measured when first asked. */
  private clockOffset: Promise<number> | undefined;
  private readonly work: RemoteShell;
  private readonly lockShell: RemoteShell;
  /** The shell for node-to-node pulls (long batches): its own, so stats and syncs never wait behind one. */
  private readonly pullShell: RemoteShell;
  private readonly locker: RemoteLocker;
  private readonly lister: SshLister;
  private readonly group: GroupSync;
  private confirmedDirs = new Set<string>();
  /** Directories seen to exist (stat or mkdir), so writes into them skip the checks. (OpenSSH's realpath
   * succeeds for a missing last component, so confine() does not prove a directory exists.) */
  private existingDirs = new Set<string>();
  private readonly identities = new ShellBatcher<string, FileIdentity | null>((abs) => this.identitiesOf(abs));
  private readonly sums = new ShellBatcher<string, string | null | SshError>((abs) => this.sha256sOf(abs));
  /** How sha256sum runs on the node: many files in one process (-z), one process per file, or not at all. */
  private sumMode: Promise<'batch' | 'each' | 'none'> | null = null;
  /** Timestamp granularity of stat() and list() (SFTP v3: whole seconds). */
  readonly mtimeGranularityMs = 1000;

  private constructor(
    target: ReturnType<typeof parseSshUrl>,
    public root: string,
    opts: SshOptions,
  ) {
    const port = target.port === 22 ? '' : `:${target.port}`;
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    this.url = `ssh://${encodeURIComponent(target.user)}@${host.toLowerCase()}${port}${root}`;
    this.conn = new SshConnection(target, opts);
    this.io = new SftpIo(this.conn);
    this.work = new RemoteShell(this.conn, 'work');
    this.lockShell = new RemoteShell(this.conn, 'locks');
    this.pullShell = new RemoteShell(this.conn, 'pull');
    this.locker = new RemoteLocker(this.conn, this.lockShell);
    this.lister = new SshLister(this, opts.listMethod ?? 'auto');
    this.group = new GroupSync((paths) => this.syncRound(paths));
  }

  /** Connect, authenticate, check the host key, open SFTP and resolve the root (a directory). */
  static async connect(url: string, opts: SshOptions = {}): Promise<SshDriver> {
    const target = parseSshUrl(url);
    const d = new SshDriver(target, target.path, opts);
    const s = await d.conn.ready();
    let real: string;
    try {
      real = await d.io.realpath(s, target.path);
      const st = await d.io.stat(s, real, false);
      if (!st.isDirectory()) throw new SshError('not a directory', 'ENOTDIR');
    } catch (err) {
      await d.close();
      throw new UsageError(`storage ${url}: ${describe(err)}`, { expected: 'an existing directory on the remote host' });
    }
    d.root = real;
    (d as { url: string }).url = d.url.slice(0, d.url.length - target.path.length) + real;
    return d;
  }

  private where(): string {
    return this.conn.where();
  }

  /** Sync rounds run for syncPaths() (tests, benches). */
  get syncRounds(): number {
    return this.group.rounds;
  }

  // ---------------------------------------------------------------- exec channels

  /** Open an exec channel inside the channel budget; it is given back when the channel closes. */
  openExec(command: string, attach: (ch: ClientChannel) => void): Promise<ClientChannel> {
    return this.conn.openChannel((client, cb) => client.exec(command, cb), attach);
  }

  /** Run a command on its own channel to completion: exit code, stdout, stderr. */
  async exec(command: string, stdin?: Buffer | string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    const live = await this.conn.ready();
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code = -1;
      let settled = false;
      const removeLoss = this.conn.onLoss(live, (e) => {
        if (settled) return;
        settled = true;
        reject(e);
      });
      this.openExec(command, (ch) => {
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => err.push(b));
        ch.on('exit', (c: number | null) => (code = c ?? -1));
        ch.on('close', () => {
          removeLoss();
          if (settled) return;
          settled = true;
          resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
        });
        if (stdin !== undefined) ch.end(stdin);
        else ch.end();
      }).catch((e) => {
        removeLoss();
        if (settled) return;
        settled = true;
        reject(e);
      });
    });
  }

  // ---------------------------------------------------------------- paths

  abs(rel: string): string {
    checkRelPath(rel);
    return this.root === '/' ? '/' + rel : this.root + '/' + rel;
  }

  /** The real directory `abs` lives in must be inside the root (a symlinked directory must not lead out). */
  private async confine(s: Live, abs: string): Promise<void> {
    const dir = posix.dirname(abs);
    if (dir === this.root || this.confirmedDirs.has(dir)) return;
    const real = await this.io.realpath(s, dir);
    if (real !== this.root && !real.startsWith(this.root === '/' ? '/' : this.root + '/')) {
      throw new DataError(`refusing ${this.where()}:${abs}: its directory resolves to ${real}, outside the storage root ${this.root}`);
    }
    if (this.confirmedDirs.size > 100_000) this.confirmedDirs.clear();
    this.confirmedDirs.add(dir);
  }

  // ---------------------------------------------------------------- StorageDriver

  list(opts: ListOptions = {}): AsyncGenerator<WalkEntry[]> {
    return this.lister.list(opts);
  }

  async stat(rel: string): Promise<FileInfo | null> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    try {
      await this.confine(s, abs);
      return toFileInfo(await this.io.stat(s, abs, true));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Open a regular file (not a symlink). */
  private async openRegular(s: Live, abs: string, flags = 'r'): Promise<{ h: Handle; size: number; mode: number; mtimeMs: number }> {
    await this.confine(s, abs);
    const l = await this.io.stat(s, abs, true);
    if (!l.isFile()) throw new DataError(`refusing to read ${this.where()}:${abs}: not a regular file`);
    const h = await this.io.open(s, abs, flags);
    const st = await this.io.fstat(s, h, abs);
    return { h, size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtime * 1000 };
  }

  async readFile(rel: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.readChunks(rel)) parts.push(b);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * A regular file as chunks, in order, with the fewest round trips: lstat and open go out together,
   * then the reads of the size lstat saw go out with no wait. A symlink is refused (its handle is
   * closed unread).
   */
  async *readChunks(rel: string, into?: Buffer): AsyncGenerator<Buffer> {
    yield* this.chunks(rel, into, false);
  }

  /**
   * A whole file read into `buf`, as the local driver's readInto: at most buf.length bytes (a file that
   * grew past what the caller expected fills it, and a size check fails); the view of what was read.
   */
  async readInto(rel: string, buf: Buffer, lstat?: FileInfo): Promise<Buffer> {
    let n = 0;
    for await (const c of this.chunks(rel, buf, true, lstat)) n += c.length;
    return buf.subarray(0, n);
  }

  /** readChunks and readInto: upToInto reads at most into.length bytes, always into it. */
  private async *chunks(rel: string, into: Buffer | undefined, upToInto: boolean, known?: FileInfo): AsyncGenerator<Buffer> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    // The caller's lstat when it has just taken one (it stats the path again after the read).
    const lst =
      known !== undefined ? Promise.resolve({ isFile: () => known.type === 'file', size: known.size }) : this.io.stat(s, abs, true);
    const open = this.io.open(s, abs, 'r');
    lst.catch(() => undefined);
    open.catch(() => undefined);
    let l: Pick<SftpStats, 'isFile' | 'size'>;
    try {
      l = await lst;
    } catch (err) {
      open.then(
        (h) => this.io.close(s, h),
        () => undefined,
      );
      throw err;
    }
    const h = await open;
    try {
      if (!l.isFile()) throw new DataError(`refusing to read ${this.where()}:${abs}: not a regular file`);
      // The size lstat saw (a file that shrank ends early; one that grew is the caller's stamp check to notice).
      if (upToInto && into !== undefined) yield* this.io.readPipelined(s, h, abs, 0, Math.min(l.size, into.length), into);
      else yield* this.io.readPipelined(s, h, abs, 0, l.size, into !== undefined && into.length >= l.size ? into : undefined);
    } finally {
      await this.io.close(s, h);
    }
  }

  async openRead(rel: string, range: { start?: number; end?: number } = {}): Promise<Readable> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    const f = await this.openRegular(s, abs);
    const start = range.start ?? 0;
    const end = range.end === undefined ? f.size : Math.min(f.size, range.end + 1);
    const io = this.io;
    async function* gen(): AsyncGenerator<Buffer> {
      try {
        yield* io.readPipelined(s, f.h, abs, start, end);
      } finally {
        await io.close(s, f.h);
      }
    }
    return Readable.from(gen(), { objectMode: false });
  }

  /** fsync a handle: fsync@openssh.com, else `sync FILE` on the host (coreutils ≥ 8.24). */
  private async syncHandle(s: Live, h: Handle, abs: string): Promise<void> {
    if (this.io.hasFsync(s)) return this.io.fsync(s, h, abs);
    await this.syncNow([abs]);
  }

  private async syncNow(paths: string[]): Promise<void> {
    const r = await this.work.run(`sync -- ${paths.map(shq).join(' ')}`, { timeoutMs: SYNC_TIMEOUT_MS, what: 'sync' });
    if (r.status !== 0) throw new SshError(`sync ${this.where()}:${paths[0]}: ${r.out.trim() || `exit ${r.status}`}`, 'EIO');
  }

  /** fsync a directory: open it read-only over SFTP and fsync the handle (OpenSSH allows it), else `sync DIR`. */
  private async syncDir(s: Live, dir: string): Promise<void> {
    if (this.io.hasFsync(s)) {
      try {
        const h = await this.io.open(s, dir, 'r');
        try {
          await this.io.fsync(s, h, dir);
          return;
        } finally {
          await this.io.close(s, h);
        }
      } catch (err) {
        if (s.closed) throw err;
        // fall through to sync(1)
      }
    }
    await this.syncNow([dir]);
  }

  /**
   * One round on the node: every path fsynced over SFTP (fsyncAll), or, on a server without
   * fsync@openssh.com, by coreutils' sync, eight at a time so the filesystem's journal commits are
   * shared; names travel NUL-separated, quoted.
   */
  private async syncRound(paths: string[]): Promise<void> {
    const s = await this.conn.ready();
    if (this.io.hasFsync(s)) return this.fsyncAll(s, paths);
    const list = paths.map(shq).join(' ');
    const r = await this.work.run(`printf '%s\\0' ${list} | xargs -0 -n 8 -P 8 sync --`, {
      timeoutMs: SYNC_TIMEOUT_MS,
      what: 'sync files on',
    });
    if (r.status !== 0) throw new SshError(`sync on ${this.where()}: ${r.out.trim() || `exit ${r.status}`}`, 'EIO');
  }

  /**
   * fsync@openssh.com of every path (files and directories alike: sftp-server opens a directory
   * read-only and fsyncs it), all requests in flight at once: no process on the node, one round trip
   * for the whole round. A path that cannot be opened that way is synced by sync(1).
   */
  private async fsyncAll(s: Live, paths: string[]): Promise<void> {
    const fallback: string[] = [];
    await Promise.all(
      paths.map(async (p) => {
        let h: Handle;
        try {
          h = await this.io.open(s, p, 'r');
        } catch (err) {
          if (s.closed) throw err;
          fallback.push(p);
          return;
        }
        const sync = this.io.fsync(s, h, p);
        const close = this.io.close(s, h);
        await sync;
        await close;
      }),
    );
    if (fallback.length > 0) await this.syncNow(fallback);
  }

  async syncPaths(rels: readonly string[]): Promise<void> {
    const s = await this.conn.ready();
    const abs = rels.map((r) => (r === '' ? this.root : this.abs(r)));
    for (const a of abs) if (a !== this.root) await this.confine(s, a);
    return this.group.barrier(abs);
  }

  private async mkdirs(s: Live, absDir: string): Promise<void> {
    if (absDir === this.root || this.existingDirs.has(absDir)) return;
    const missing: string[] = [];
    let d = absDir;
    while (d.length > this.root.length) {
      try {
        const st = await this.io.stat(s, d, true);
        if (!st.isDirectory() && !st.isSymbolicLink()) throw new DataError(`${this.where()}:${d} is not a directory`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
        missing.push(d);
        d = posix.dirname(d);
      }
    }
    await this.confine(s, d + '/x');
    for (const m of missing.reverse()) {
      try {
        await this.io.mkdir(s, m, 0o755);
      } catch (err) {
        // Created meanwhile by another writer: fine if it is a directory now.
        const st = await this.io.stat(s, m, true).catch(() => null);
        if (st === null || !st.isDirectory()) throw err;
      }
    }
    if (this.existingDirs.size > 100_000) this.existingDirs.clear();
    this.existingDirs.add(absDir);
  }

  /**
   * Move without replacing: hardlink@openssh.com + unlink, else SFTP rename (which never replaces).
   * A temp file (`expendable`) is unlinked in the same round trip: it goes whether the link worked or not.
   */
  private async placeNoClobber(s: Live, from: string, to: string, expendable = false): Promise<void> {
    const exists = async (e: unknown): Promise<never> => {
      if (s.closed) throw e;
      const there = await this.io.stat(s, to, true).then(
        () => true,
        () => false,
      );
      if (there) throw new DataError(`refusing to replace existing ${this.where()}:${to}`);
      throw e;
    };
    if (s.ext['hardlink@openssh.com'] === '1' && !expendable) {
      await this.io.hardlink(s, from, to).catch(exists);
      await this.io.unlink(s, from);
      return;
    }
    if (s.ext['hardlink@openssh.com'] === '1') {
      // The server answers in order: the unlink runs after the link, and removes the temp file either way.
      const link = this.io.hardlink(s, from, to);
      const unlink = this.io.unlink(s, from);
      unlink.catch(() => undefined);
      await link.catch(exists);
      await unlink;
      return;
    }
    await this.io.rename(s, from, to).catch(exists);
  }

  private async placeOverwrite(s: Live, from: string, to: string): Promise<void> {
    if (s.ext['posix-rename@openssh.com'] === '1') return this.io.posixRename(s, from, to);
    const r = await this.work.run(`mv -f -- ${shq(from)} ${shq(to)}`, { what: 'mv' });
    if (r.status !== 0) throw new SshError(`mv ${this.where()}:${from}: ${r.out.trim()}`, 'EIO');
  }

  /** After a failed write: ENOSPC when the filesystem is (nearly) full, since SFTP only says "Failure". */
  private async explainWriteFailure(err: unknown, need: number): Promise<unknown> {
    if ((err as { code?: string }).code !== 'EIO') return err;
    try {
      const free = await this.freeSpace();
      if (free.available < Math.max(need, 1 << 20)) {
        return new SshError(`${(err as Error).message}: no space left on ${this.where()} (${free.available} bytes free)`, 'ENOSPC');
      }
    } catch {
      // keep the original error
    }
    return err;
  }

  async writeAtomic(rel: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts: WriteOptions = {}): Promise<void> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    const dir = posix.dirname(abs);
    await this.mkdirs(s, dir);
    const name = opts.tempName ?? `.${posix.basename(abs).slice(0, 100)}.ringshift-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    if (!name.startsWith('.') || name.includes('/') || name.endsWith('.wsp'))
      throw new DataError(`bad temp file name ${JSON.stringify(name)}`);
    const tmp = `${dir}/${name}`;
    const h = await this.io.open(s, tmp, 'wx', opts.mode ?? 0o644);
    let placed = false;
    let written = 0;
    try {
      let open = true;
      try {
        const pending: Promise<void>[] = [];
        let failure: unknown = null;
        const put = async (chunk: Buffer) => {
          const p = this.io.writeAt(s, h, tmp, written, chunk);
          written += chunk.length;
          p.catch((e) => (failure ??= e));
          pending.push(p);
          if (pending.length >= PIPELINE) await pending.shift();
          if (failure !== null) throw failure;
        };
        const max = this.io.writeChunkSize(s);
        const chunks = data instanceof Uint8Array ? [data] : data;
        for await (const c of chunks) {
          const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
          for (let o = 0; o < b.length; o += max) await put(b.subarray(o, Math.min(b.length, o + max)));
        }
        await Promise.all(pending);
        if (failure !== null) throw failure;
        // Sent together (the server answers in order): the times, the size check, the fsync.
        const times = opts.mtimeMs === undefined ? null : this.io.futimes(s, h, tmp, Date.now() / 1000, opts.mtimeMs / 1000);
        const size = this.io.fstat(s, h, tmp);
        // The file's own fsync goes with them (no extra round trip); its directory is synced in a shared round.
        const sync = this.io.hasFsync(s) ? this.io.fsync(s, h, tmp) : opts.grouped === true ? null : this.syncHandle(s, h, tmp);
        for (const p of [times, size, sync]) p?.catch(() => undefined);
        await times;
        // Every write was acknowledged at its offset; the size the node sees must be what we sent.
        const st = await size;
        if (st.size !== written) throw new SshError(`${this.where()}:${tmp} has ${st.size} bytes after writing ${written}`, 'EIO');
        await sync;
      } catch (err) {
        throw await this.explainWriteFailure(err, written);
      } finally {
        if (open) await this.io.close(s, h);
        open = false;
      }
      if (opts.beforePlace !== undefined) await opts.beforePlace(posix.join(posix.dirname(rel), name));
      if (opts.grouped === true && !this.io.hasFsync(s)) await this.group.barrier([tmp]);
      if (opts.overwrite === true) await this.placeOverwrite(s, tmp, abs);
      else await this.placeNoClobber(s, tmp, abs, true);
      placed = true;
      opts.onPlaced?.();
      if (opts.grouped === true) await this.group.barrier([dir]);
      else await this.syncDir(s, dir);
    } finally {
      if (!placed && !s.closed) await this.io.unlink(s, tmp).catch(() => undefined);
    }
  }

  /** Create a directory (and missing parents) inside the root, its real path confined to the root. */
  async prepareDir(relDir: string): Promise<void> {
    const s = await this.conn.ready();
    await this.mkdirs(s, relDir === '' || relDir === '.' ? this.root : this.abs(relDir));
  }

  /**
   * Place a temp file written by a command on the node (a node-to-node pull) at `rel` without
   * replacing anything, as writeAtomic places its own: link, unlink the temp, the directory synced in a
   * shared round. The caller made the temp durable and checked it.
   */
  async placeTemp(tempRel: string, rel: string, onPlaced?: () => void): Promise<void> {
    const tmp = this.abs(tempRel);
    const abs = this.abs(rel);
    if (posix.dirname(tmp) !== posix.dirname(abs)) throw new DataError(`temp file ${tempRel} is not beside ${rel}`);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    await this.placeNoClobber(s, tmp, abs, true);
    onPlaced?.();
    await this.group.barrier([posix.dirname(abs)]);
  }

  /**
   * Start the command shell now, beside other work: copies and fills onto this node need it (checksums,
   * identities, locks' helpers), so a login with slow startup files costs once, early. A node that is
   * only read from and deleted on never needs one (SFTP does all of that), and then never logs in.
   */
  warmShell(): void {
    this.work.ensure().catch(() => undefined);
  }

  /** Start the pull shell now (a node-to-node pull will need it; the login then overlaps other work). */
  async warmPullShell(): Promise<void> {
    await this.pullShell.ensure();
  }

  /** Run a node-to-node pull batch on the node's pull shell (started once: one login per job, not per batch). */
  runInPullShell(script: string, timeoutMs: number): Promise<{ status: number; out: string }> {
    return this.pullShell.run(script, { timeoutMs, what: 'pull files onto' });
  }

  async rename(fromRel: string, toRel: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    const from = this.abs(fromRel);
    const to = this.abs(toRel);
    const s = await this.conn.ready();
    await this.confine(s, from);
    const st = await this.io.stat(s, from, true);
    if (!st.isFile()) throw new DataError(`refusing to move ${this.where()}:${from}: not a regular file`);
    await this.mkdirs(s, posix.dirname(to));
    if (opts.overwrite === true) await this.placeOverwrite(s, from, to);
    else await this.placeNoClobber(s, from, to);
    await this.syncDir(s, posix.dirname(to));
    if (posix.dirname(from) !== posix.dirname(to)) await this.syncDir(s, posix.dirname(from));
  }

  async unlink(rel: string, opts: UnlinkOptions = {}): Promise<void> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    try {
      await this.io.unlink(s, abs);
    } catch (err) {
      // unlink(2) never removes a directory: only a refusal is looked at, to name it.
      if (!s.closed && (await this.io.stat(s, abs, true).catch(() => null))?.isDirectory() === true)
        throw new DataError(`refusing to unlink ${this.where()}:${abs}: a directory`);
      throw err;
    }
    if (opts.deferred === true) this.group.defer([posix.dirname(abs)]);
    else if (opts.grouped === true) await this.group.barrier([posix.dirname(abs)]);
    else await this.syncDir(s, posix.dirname(abs));
  }

  async removeEmptyDir(rel: string): Promise<boolean> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    let st: SftpStats;
    try {
      await this.confine(s, abs);
      st = await this.io.stat(s, abs, true);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false;
      throw err;
    }
    if (!st.isDirectory()) throw new DataError(`refusing to remove ${this.where()}:${abs}: not a directory`);
    try {
      await this.io.rmdir(s, abs);
    } catch {
      // SFTP v3 says only "Failure" for a directory that is not empty: whatever the reason, it stays.
      return false;
    }
    this.confirmedDirs.delete(abs);
    // No directory sync: a removal lost in a crash leaves an empty directory, which is harmless (and a
    // sync per directory costs a round trip, or a whole-host sync(1) without fsync@openssh.com).
    return true;
  }

  async freeSpace(): Promise<FreeSpace> {
    const s = await this.conn.ready();
    const v = await this.io.statvfs(s, this.root);
    if (v !== null) return { total: v.blocks * v.frsize, available: v.bavail * v.frsize, free: v.bfree * v.frsize };
    const r = await this.work.run(`df -Pk -- ${shq(this.root)}`, { what: 'df' });
    const last = r.out.trim().split('\n').pop() ?? '';
    const f = last.split(/\s+/);
    if (r.status !== 0 || f.length < 4 || !/^[0-9]+$/.test(f[1]!) || !/^[0-9]+$/.test(f[2]!) || !/^[0-9]+$/.test(f[3]!)) {
      throw new SshError(`cannot read free space on ${this.where()}:${this.root}: ${r.out.trim() || last}`, 'EIO');
    }
    const total = Number(f[1]) * 1024;
    return { total, available: Number(f[3]) * 1024, free: total - Number(f[2]) * 1024 };
  }

  /** Host key fingerprint plus the root's device and inode: equal exactly for the same directory. */
  async identity(): Promise<string> {
    const r = await this.work.run(`stat -L -c %d:%i -- ${shq(this.root)}`, { what: 'stat' });
    const id = r.out.trim();
    const key = this.conn.hostKeyBlob === null ? this.where() : fingerprint(this.conn.hostKeyBlob);
    return r.status === 0 && /^[0-9]+:[0-9]+$/.test(id) ? `ssh:${key}:${id}` : `ssh:${key}:${this.root}`;
  }

  /**
   * Identity of a regular file. Calls made while the last batch ran go to the node as one `stat`
   * process; stat prints numbers and a type only (never the name).
   */
  async fileIdentity(rel: string): Promise<FileIdentity | null> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    return this.identities.ask(abs);
  }

  /**
   * One stat for many files. Each file is preceded by `/` as a marker (a directory, so never one of
   * the regular files asked about): the lines between two markers are that file's (none: missing).
   * An answer that does not fit that shape is asked again file by file.
   */
  private async identitiesOf(batch: string[]): Promise<(FileIdentity | null)[]> {
    const fmt = `'%d %i %s %.9Y %.9Z %F'`;
    const r = await this.work.run(`stat -c ${fmt} -- ${batch.map((a) => `/ ${shq(a)}`).join(' ')} 2>/dev/null; :`, { what: 'stat' });
    const lines = r.out.split('\n').filter((l) => l !== '');
    const groups: string[][] = [];
    for (const l of lines) {
      if (l === lines[0]) groups.push([]);
      else groups[groups.length - 1]?.push(l);
    }
    if (groups.length === batch.length && groups.every((g) => g.length <= 1))
      return batch.map((a, i) => this.parseIdentity(a, groups[i]![0]));
    const one = await this.work.run(batch.map((a) => `stat -c ${fmt} -- ${shq(a)} 2>/dev/null || echo missing`).join('\n'), {
      what: 'stat',
    });
    const each = one.out.split('\n').filter((l) => l !== '');
    if (each.length !== batch.length) throw new SshError(`stat on ${this.where()}: ${one.out.trim() || `exit ${one.status}`}`, 'EIO');
    return batch.map((a, i) => this.parseIdentity(a, each[i] === 'missing' ? undefined : each[i]));
  }

  private parseIdentity(abs: string, line: string | undefined): FileIdentity | null {
    if (line === undefined) return null;
    const m = /^([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+(?:\.[0-9]+)?) ([0-9]+(?:\.[0-9]+)?) (.*)$/.exec(line);
    if (m === null) throw new SshError(`stat on ${this.where()}:${abs}: unexpected answer ${JSON.stringify(line)}`, 'EIO');
    if (!m[6]!.startsWith('regular')) return null;
    return { dev: m[1]!, ino: m[2]!, size: Number(m[3]), mtime: m[4]!, ctime: m[5]! };
  }

  async close(): Promise<void> {
    await Promise.all([this.work.close(), this.lockShell.close(), this.pullShell.close()]);
    await this.conn.close();
  }

  // ---------------------------------------------------------------- beyond StorageDriver (apply)

  /** SFTP extensions the server offers (those in use: fsync, hardlink, posix-rename, statvfs @openssh.com). */
  async serverExtensions(): Promise<string[]> {
    return Object.keys((await this.conn.ready()).ext).sort();
  }

  /**
   * Milliseconds the remote clock is ahead of ours (whole-second precision). Read from the mtime of a
   * file created over SFTP in the root and removed at once: no command, so no login shell (0.2–1 s
   * with a busy .bashrc) before the first copy can judge its source's age; and it is the clock that
   * stamps the files there (an NFS server's, for storage on NFS). Where nothing can be created (a
   * read-only node) it is `date +%s` in the remote shell.
   */
  clockOffsetMs(): Promise<number> {
    this.clockOffset ??= this.clockBySftp().then((off) => off ?? this.clockByShell());
    this.clockOffset.catch(() => (this.clockOffset = undefined));
    return this.clockOffset;
  }

  private async clockBySftp(): Promise<number | null> {
    const s = await this.conn.ready();
    const probe = posix.join(this.root, `.ringshift-clock-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    const before = Date.now();
    let h: Handle;
    try {
      h = await this.io.open(s, probe, 'wx', 0o600);
    } catch (err) {
      if (s.closed) throw err;
      return null; // read-only, no permission: ask the shell
    }
    const st = this.io.fstat(s, h, probe);
    const close = this.io.close(s, h);
    const unlink = this.io.unlink(s, probe);
    st.catch(() => undefined);
    unlink.catch(() => undefined);
    const mtime = (await st).mtime;
    const after = Date.now();
    await close;
    await unlink;
    return mtime * 1000 + 500 - (before + after) / 2;
  }

  private async clockByShell(): Promise<number> {
    const before = Date.now();
    const r = await this.work.run('date +%s', { what: 'date' });
    const after = Date.now();
    const t = Number(r.out.trim());
    return r.status === 0 && Number.isFinite(t) ? t * 1000 + 500 - (before + after) / 2 : 0;
  }

  /**
   * sha256 of a file as the node reads it (null when the node has no sha256sum). Calls made while the
   * last batch ran share one sha256sum process (`-z`: records end in NUL and names are printed as
   * given, so each record is matched to the path it answers; a missing file has no record).
   */
  async sha256(rel: string): Promise<string | null> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    const r = await this.sums.ask(abs);
    if (r instanceof SshError) throw r;
    return r;
  }

  private async sha256sOf(batch: string[]): Promise<(string | null | SshError)[]> {
    this.sumMode ??= this.work
      .run('sha256sum -z </dev/null >/dev/null', { what: 'sha256sum' })
      .then((r) => (r.status === 127 ? 'none' : r.status === 0 ? 'batch' : 'each'));
    // A probe that timed out is asked again next time, not remembered as the answer.
    this.sumMode.catch(() => (this.sumMode = null));
    const mode = await this.sumMode;
    if (mode === 'none') return batch.map(() => null);
    const answers: (string | null | SshError)[] = batch.map(() => null);
    let rest = batch.map((_, i) => i);
    if (mode === 'batch') {
      const r = await this.work.run(`sha256sum -z -- ${batch.map(shq).join(' ')} 2>/dev/null; :`, { what: 'sha256sum' });
      const records = r.out.split('\0');
      let k = 0;
      rest = [];
      batch.forEach((a, i) => {
        const m = /^([0-9a-f]{64}) [ *]([^]*)$/.exec(records[k] ?? '');
        if (m !== null && m[2] === a) {
          answers[i] = m[1]!;
          k++;
        } else rest.push(i); // missing, or a name that did not come back as sent (not UTF-8): asked alone
      });
      if (rest.length === 0) return answers;
    }
    // One process per file, the file on stdin (no name printed): coreutils < 8.31 has no -z.
    const r = await this.work.run(rest.map((i) => `sha256sum 2>/dev/null < ${shq(batch[i]!)} || echo missing`).join('\n'), {
      what: 'sha256sum',
    });
    const lines = r.out.split('\n').filter((l) => l !== '');
    if (lines.length !== rest.length) throw new SshError(`sha256sum on ${this.where()}: ${r.out.trim() || `exit ${r.status}`}`, 'EIO');
    rest.forEach((i, k) => {
      const sum = /^[0-9a-f]{64} /.exec(lines[k]!)?.[0].slice(0, 64);
      answers[i] = sum ?? new SshError(`sha256sum ${this.where()}:${batch[i]}: cannot read it`, 'ENOENT');
    });
    return answers;
  }

  /**
   * Hold flock(2) on a file, as carbon-cache takes it (WHISPER_LOCK_WRITES). The file must exist
   * (nothing is created) and still be the same file once locked. The lock ends on release() or when
   * the connection drops.
   */
  async lock(rel: string, mode: 'ex' | 'sh', timeoutMs: number): Promise<RemoteLock> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    await this.confine(s, abs);
    return this.locker.lock(abs, mode, timeoutMs);
  }

  /** Open an existing regular file for positional reads and writes. */
  async openFile(rel: string): Promise<RemoteFile> {
    const abs = this.abs(rel);
    const s = await this.conn.ready();
    const f = await this.openRegular(s, abs, 'r+');
    let closed = false;
    const readRange = async (pos: number, len: number) => {
      const parts: Buffer[] = [];
      for await (const b of this.io.readPipelined(s, f.h, abs, pos, pos + len)) parts.push(b);
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    };
    return {
      size: f.size,
      readAll: () => readRange(0, f.size),
      readRange,
      write: async (position, data) => {
        try {
          await this.io.writeAll(s, f.h, abs, position, data);
        } catch (err) {
          throw await this.explainWriteFailure(err, data.length);
        }
      },
      sync: () => this.syncHandle(s, f.h, abs),
      close: async () => {
        if (closed) return;
        closed = true;
        await this.io.close(s, f.h);
      },
    };
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string | number; message?: string };
  return `${e.message ?? String(err)}${typeof e.code === 'string' && !String(e.message).includes(e.code) ? ` (${e.code})` : ''}`;
}

function toFileInfo(st: SftpStats): FileInfo {
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { type, size: st.size, mtimeMs: st.mtime * 1000, mode: st.mode & 0o7777 };
}
