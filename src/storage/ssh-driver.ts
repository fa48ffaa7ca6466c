// Storage on another machine over ssh (ssh://[user@]host[:port]/path), with ssh2: SFTP for file data
// (pipelined positional reads and writes, fsync@openssh.com, hardlink@openssh.com for no-clobber
// placement), exec channels for what SFTP cannot do fast or at all: listing a tree (one GNU find
// streaming NUL-separated records), holding a flock on a live whisper file (flock(1) on a descriptor,
// released when we say so or when the connection dies), sha256 of a written file, free space and
// the directory's identity. Everything that reaches the remote shell is single-quoted (shq).
//
// Keys come from --identity files (or ~/.ssh/id_*), then the ssh agent; host keys are checked against
// known_hosts (ssh-known-hosts.ts). File times are whole seconds (SFTP v3), in list() as in stat(), so
// stamps taken either way compare equal.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper, Stats as SftpStats, AuthenticationType } from 'ssh2';
import { DataError, UsageError } from '../errors.js';
import { escapeBytes } from './bytes.js';
import { checkRelPath } from './driver.js';
import type { FileInfo, FreeSpace, ListOptions, StorageDriver, WalkEntry, WriteOptions } from './driver.js';
import { checkHostKey, defaultKnownHostsFiles, fingerprint, preferredHostKeyAlgorithms } from './ssh-known-hosts.js';

const { Client } = ssh2;

export interface SshOptions {
  /** Private key files to offer (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa when they exist). */
  identityFiles?: string[] | undefined;
  /** ssh-agent socket (default $SSH_AUTH_SOCK); null to not use an agent. */
  agent?: string | null | undefined;
  /** known_hosts files (default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts; the first is written). */
  knownHostsFiles?: string[] | undefined;
  /** Trust an unknown host's key on first use and record it (never a changed key). */
  acceptNewHostKeys?: boolean | undefined;
  /** Connection set-up timeout (default 20 s). */
  readyTimeoutMs?: number | undefined;
  /** Exec channels open at once on the connection (default 6; OpenSSH allows 10 sessions). */
  maxExecChannels?: number | undefined;
  /** How list() walks: GNU find over exec (default when available) or SFTP readdir. */
  listMethod?: 'auto' | 'find' | 'sftp' | undefined;
}

/** Quote for a POSIX shell: one single-quoted word whatever the bytes (NUL aside, refused earlier). */
export function shq(s: string): string {
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/** An error from the remote side, shaped like a Node fs error (code ENOENT, EACCES, EEXIST, ENOSPC, EIO …). */
export class SshError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

const SFTP_CODE: Record<number, string> = {
  1: 'EOF',
  2: 'ENOENT',
  3: 'EACCES',
  4: 'EIO',
  5: 'EBADMSG',
  6: 'ENOTCONN',
  7: 'ECONNRESET',
  8: 'EOPNOTSUPP',
};

interface ParsedUrl {
  user: string;
  host: string;
  port: number;
  path: string;
}

export function parseSshUrl(url: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`cannot parse ${JSON.stringify(url)}`, { expected: 'ssh://[user@]host[:port]/absolute/path' });
  }
  if (u.protocol !== 'ssh:' || u.hostname === '')
    throw new UsageError(`not an ssh:// URL: ${url}`, { expected: 'ssh://[user@]host[:port]/absolute/path' });
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const path = posix.normalize(decodeURIComponent(u.pathname) || '/');
  return {
    user: u.username === '' ? userInfo().username : decodeURIComponent(u.username),
    host,
    port: u.port === '' ? 22 : Number(u.port),
    path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path,
  };
}

interface Session {
  client: InstanceType<typeof Client>;
  sftp: SFTPWrapper;
  ext: Record<string, string>;
  closed: boolean;
}

/** A held remote flock. */
export interface RemoteLock {
  release(): Promise<void>;
}

/** An open remote file for positional I/O. */
export interface RemoteFile {
  readonly size: number;
  readAll(): Promise<Buffer>;
  write(position: number, data: Buffer): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const PIPELINE = 16;

export class SshDriver implements StorageDriver {
  readonly scheme = 'ssh';
  readonly url: string;
  /** Remote clock minus local clock (ms), measured when first asked. */
  private clockOffset: number | undefined;
  private session: Promise<Session> | null = null;
  private hostKeyBlob: Buffer | null = null;
  private execSlots: number;
  private execWaiters: (() => void)[] = [];
  private confirmedDirs = new Set<string>();
  private gnuFind: boolean | undefined;
  private closing = false;

  private constructor(
    private readonly target: ParsedUrl,
    public root: string,
    private readonly opts: SshOptions,
  ) {
    const port = target.port === 22 ? '' : `:${target.port}`;
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    this.url = `ssh://${encodeURIComponent(target.user)}@${host.toLowerCase()}${port}${root}`;
    this.execSlots = Math.max(1, opts.maxExecChannels ?? 6);
  }

  /** Connect, authenticate, check the host key, open SFTP and resolve the root (a directory). */
  static async connect(url: string, opts: SshOptions = {}): Promise<SshDriver> {
    const target = parseSshUrl(url);
    const d = new SshDriver(target, target.path, opts);
    const s = await d.sessionReady();
    let real: string;
    try {
      real = await new Promise<string>((resolve, reject) => s.sftp.realpath(target.path, (e, p) => (e ? reject(e) : resolve(p))));
      const st = await d.sftpStat(s, real, false);
      if (!st.isDirectory()) throw new SshError('not a directory', 'ENOTDIR');
    } catch (err) {
      await d.close();
      throw new UsageError(`storage ${url}: ${d.describe(err)}`, { expected: 'an existing directory on the remote host' });
    }
    d.root = real;
    (d as { url: string }).url = d.url.slice(0, d.url.length - target.path.length) + real;
    return d;
  }

  private where(): string {
    return `${this.target.user}@${this.target.host}${this.target.port === 22 ? '' : ':' + this.target.port}`;
  }

  private describe(err: unknown): string {
    const e = err as { code?: string | number; message?: string };
    return `${e.message ?? String(err)}${typeof e.code === 'string' && !String(e.message).includes(e.code) ? ` (${e.code})` : ''}`;
  }

  // ---------------------------------------------------------------- connection

  private sessionReady(): Promise<Session> {
    if (this.closing) return Promise.reject(new SshError(`${this.where()}: connection closed`, 'ENOTCONN'));
    if (this.session === null) {
      const p = this.connectOnce();
      this.session = p;
      p.catch(() => {
        if (this.session === p) this.session = null;
      });
    }
    return this.session;
  }

  private authMethods(): { methods: ConnectConfig['authHandler']; tried: string[] } {
    const user = this.target.user;
    const files = this.opts.identityFiles ?? DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).filter((f) => fs.existsSync(f));
    const methods: { type: AuthenticationType; username: string; key?: Buffer; agent?: string }[] = [];
    const tried: string[] = [];
    for (const f of files) {
      let key: Buffer;
      try {
        key = fs.readFileSync(f);
      } catch (err) {
        throw new UsageError(`cannot read identity ${f}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
          expected: 'a private key file',
        });
      }
      const parsed = ssh2.utils.parseKey(key);
      if (parsed instanceof Error) {
        if (this.opts.identityFiles !== undefined) {
          throw new UsageError(
            `identity ${f}: ${parsed.message}${/encrypt|passphrase/i.test(parsed.message) ? '; load it into ssh-agent instead' : ''}`,
            {
              expected: 'an unencrypted private key, or an ssh-agent holding it',
            },
          );
        }
        continue; // a default key we cannot use (encrypted): the agent may hold it
      }
      methods.push({ type: 'publickey', username: user, key });
      tried.push(f);
    }
    const agent = this.opts.agent === undefined ? process.env.SSH_AUTH_SOCK : this.opts.agent;
    if (agent) {
      methods.push({ type: 'agent', username: user, agent });
      tried.push(`agent ${agent}`);
    }
    if (methods.length === 0) {
      throw new UsageError(`no ssh key for ${this.where()}: no --identity, no ~/.ssh/id_* usable, no SSH_AUTH_SOCK`, {
        expected: 'an ssh-agent or --identity FILE',
      });
    }
    return { methods: methods as ConnectConfig['authHandler'], tried };
  }

  private connectOnce(): Promise<Session> {
    const { methods, tried } = this.authMethods();
    const knownFiles = this.opts.knownHostsFiles ?? defaultKnownHostsFiles();
    const client = new Client();
    let hostProblem: string | null = null;
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        const e = err as Error & { level?: string };
        if (hostProblem !== null) reject(new UsageError(`ssh ${this.where()}: ${hostProblem}`));
        else if (e.level === 'client-authentication')
          reject(
            new UsageError(`ssh ${this.where()}: authentication failed (tried ${tried.join(', ')})`, {
              expected: 'a key the server accepts',
            }),
          );
        else reject(new SshError(`ssh ${this.where()}: ${e.message}`, (e as { code?: string }).code ?? 'ECONNREFUSED'));
      };
      client.on('error', fail);
      client.on('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          settled = true;
          const ext = ((sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {}) as Record<string, string>;
          const s: Session = { client, sftp, ext, closed: false };
          const drop = () => {
            s.closed = true;
            if (this.session !== null)
              void this.session.then(
                (cur) => cur === s && (this.session = null),
                () => undefined,
              );
          };
          client.on('close', drop);
          client.on('end', drop);
          sftp.on('close', drop);
          resolve(s);
        });
      });
      client.connect({
        host: this.target.host,
        port: this.target.port,
        username: this.target.user,
        ...(methods !== undefined ? { authHandler: methods } : {}),
        readyTimeout: this.opts.readyTimeoutMs ?? 20_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        algorithms: {
          serverHostKey: preferredHostKeyAlgorithms(knownFiles, this.target.host, this.target.port, [
            'ssh-ed25519',
            'ecdsa-sha2-nistp256',
            'ecdsa-sha2-nistp384',
            'ecdsa-sha2-nistp521',
            'rsa-sha2-512',
            'rsa-sha2-256',
            'ssh-rsa',
          ]) as never,
        },
        hostVerifier: (key: Buffer) => {
          const v = checkHostKey(knownFiles, this.target.host, this.target.port, key, this.opts.acceptNewHostKeys === true);
          if (!v.ok) {
            hostProblem = v.message;
            return false;
          }
          if (v.added !== undefined) process.stderr.write(`ringshift: added ${this.target.host} ${fingerprint(key)} to ${v.added}\n`);
          this.hostKeyBlob = key;
          return true;
        },
      });
    });
  }

  // ---------------------------------------------------------------- exec

  private async execSlot(): Promise<() => void> {
    while (this.execSlots === 0) await new Promise<void>((r) => this.execWaiters.push(r));
    this.execSlots--;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.execSlots++;
      this.execWaiters.shift()?.();
    };
  }

  /**
   * Open an exec channel; its slot is freed when the channel closes. `attach` runs inside ssh2's
   * callback: a short command's exit status and close can arrive in the same packet batch, before an
   * await would let us listen.
   */
  private async openExec(command: string, attach: (ch: ClientChannel) => void): Promise<ClientChannel> {
    const release = await this.execSlot();
    try {
      const s = await this.sessionReady();
      return await new Promise<ClientChannel>((resolve, reject) =>
        s.client.exec(command, (e, c) => {
          if (e) return reject(e);
          c.on('close', release);
          attach(c);
          resolve(c);
        }),
      );
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Run a command to completion: exit code, stdout, stderr. */
  async exec(command: string, stdin?: Buffer | string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code = -1;
      this.openExec(command, (ch) => {
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => err.push(b));
        ch.on('exit', (c: number | null) => (code = c ?? -1));
        ch.on('error', reject);
        ch.on('close', () => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
        if (stdin !== undefined) ch.end(stdin);
        else ch.end();
      }).catch(reject);
    });
  }

  // ---------------------------------------------------------------- paths

  private abs(rel: string): string {
    checkRelPath(rel);
    return this.root === '/' ? '/' + rel : this.root + '/' + rel;
  }

  private sftpError(err: unknown, abs: string, doing: string): SshError {
    const e = err as { code?: number | string; message?: string };
    if (err instanceof SshError) return err;
    const code = typeof e.code === 'number' ? (SFTP_CODE[e.code] ?? 'EIO') : (e.code ?? 'EIO');
    return new SshError(`${doing} ${this.where()}:${abs}: ${e.message ?? String(err)}`, code);
  }

  private sftpStat(s: Session, abs: string, lstat: boolean): Promise<SftpStats> {
    return new Promise((resolve, reject) =>
      (lstat ? s.sftp.lstat : s.sftp.stat).call(s.sftp, abs, (e: Error | undefined, st: SftpStats) =>
        e ? reject(this.sftpError(e, abs, 'stat')) : resolve(st),
      ),
    );
  }

  private realpath(s: Session, abs: string): Promise<string> {
    return new Promise((resolve, reject) => s.sftp.realpath(abs, (e, p) => (e ? reject(this.sftpError(e, abs, 'realpath')) : resolve(p))));
  }

  /** The real directory `abs` lives in must be inside the root (a symlinked directory must not lead out). */
  private async confine(s: Session, abs: string): Promise<void> {
    const dir = posix.dirname(abs);
    if (dir === this.root || this.confirmedDirs.has(dir)) return;
    const real = await this.realpath(s, dir);
    if (real !== this.root && !real.startsWith(this.root === '/' ? '/' : this.root + '/')) {
      throw new DataError(`refusing ${this.where()}:${abs}: its directory resolves to ${real}, outside the storage root ${this.root}`);
    }
    if (this.confirmedDirs.size > 100_000) this.confirmedDirs.clear();
    this.confirmedDirs.add(dir);
  }

  // ---------------------------------------------------------------- StorageDriver

  async stat(rel: string): Promise<FileInfo | null> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    try {
      await this.confine(s, abs);
      return toFileInfo(await this.sftpStat(s, abs, true));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw err;
    }
  }

  private open(s: Session, abs: string, flags: string, mode?: number): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      s.sftp.open(abs, flags as 'r', mode === undefined ? {} : { mode }, (e: Error | undefined, h: Buffer) =>
        e ? reject(this.sftpError(e, abs, 'open')) : resolve(h),
      ),
    );
  }

  private closeHandle(s: Session, h: Buffer): Promise<void> {
    return new Promise((resolve) => s.sftp.close(h, () => resolve()));
  }

  private fstat(s: Session, h: Buffer, abs: string): Promise<SftpStats> {
    return new Promise((resolve, reject) => s.sftp.fstat(h, (e, st) => (e ? reject(this.sftpError(e, abs, 'stat')) : resolve(st))));
  }

  /** Open a regular file (not a symlink) for reading. */
  private async openRegular(s: Session, abs: string, flags = 'r'): Promise<{ h: Buffer; size: number; mode: number; mtimeMs: number }> {
    await this.confine(s, abs);
    const l = await this.sftpStat(s, abs, true);
    if (!l.isFile()) throw new DataError(`refusing to read ${this.where()}:${abs}: not a regular file`);
    const h = await this.open(s, abs, flags);
    const st = await this.fstat(s, h, abs);
    return { h, size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtime * 1000 };
  }

  private chunkSize(s: Session): number {
    const max = (s.sftp as unknown as { _maxReadLen?: number })._maxReadLen ?? 32768;
    return Math.max(4096, Math.min(256 * 1024, max));
  }

  private readAt(s: Session, h: Buffer, abs: string, pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    return new Promise((resolve, reject) =>
      s.sftp.read(h, buf, 0, len, pos, (e, n) =>
        e ? reject(this.sftpError(e, abs, 'read')) : resolve(n === len ? buf : buf.subarray(0, n)),
      ),
    );
  }

  /** Bytes [start, end) in order, with up to PIPELINE reads in flight; stops early at end of file. */
  private async *readPipelined(s: Session, h: Buffer, abs: string, start: number, end: number): AsyncGenerator<Buffer> {
    const chunk = this.chunkSize(s);
    const inflight: { pos: number; len: number; p: Promise<Buffer> }[] = [];
    let next = start;
    const issue = () => {
      while (next < end && inflight.length < PIPELINE) {
        const len = Math.min(chunk, end - next);
        const p = this.readAt(s, h, abs, next, len);
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
        const more = await this.readAt(s, h, abs, r.pos + buf.length, r.len - buf.length);
        if (more.length === 0) return;
        r.pos += buf.length;
        r.len -= buf.length;
        buf = more;
      }
      yield buf;
      issue();
    }
  }

  async readFile(rel: string): Promise<Buffer> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    const f = await this.openRegular(s, abs);
    try {
      const parts: Buffer[] = [];
      for await (const b of this.readPipelined(s, f.h, abs, 0, Number.MAX_SAFE_INTEGER)) parts.push(b);
      return Buffer.concat(parts);
    } finally {
      await this.closeHandle(s, f.h);
    }
  }

  async openRead(rel: string, range: { start?: number; end?: number } = {}): Promise<Readable> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    const f = await this.openRegular(s, abs);
    const start = range.start ?? 0;
    const end = range.end === undefined ? f.size : Math.min(f.size, range.end + 1);
    return Readable.from(this.readThenClose(s, f.h, abs, start, end), { objectMode: false });
  }

  /** Bytes start..end of an open handle; the handle is closed when the reader finishes or stops early. */
  private async *readThenClose(s: Session, h: Buffer, abs: string, start: number, end: number): AsyncGenerator<Buffer> {
    try {
      yield* this.readPipelined(s, h, abs, start, end);
    } finally {
      await this.closeHandle(s, h);
    }
  }

  private writeAt(s: Session, h: Buffer, abs: string, pos: number, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      s.sftp.write(h, data, 0, data.length, pos, (e) => (e ? reject(this.sftpError(e, abs, 'write')) : resolve())),
    );
  }

  /** fsync a handle: fsync@openssh.com, else `sync FILE` on the host (coreutils ≥ 8.24). */
  private async syncHandle(s: Session, h: Buffer, abs: string): Promise<void> {
    if (s.ext['fsync@openssh.com'] === '1') {
      await new Promise<void>((resolve, reject) =>
        s.sftp.ext_openssh_fsync(h, (e: Error | undefined) => (e ? reject(this.sftpError(e, abs, 'fsync')) : resolve())),
      );
      return;
    }
    await this.syncPath(abs);
  }

  private async syncPath(abs: string): Promise<void> {
    const r = await this.exec(`sync -- ${shq(abs)}`);
    if (r.code !== 0) throw new SshError(`sync ${this.where()}:${abs}: ${r.stderr.trim() || `exit ${r.code}`}`, 'EIO');
  }

  /** fsync a directory: open it read-only over SFTP and fsync the handle (OpenSSH allows it), else `sync DIR`. */
  private async syncDir(s: Session, dir: string): Promise<void> {
    if (s.ext['fsync@openssh.com'] === '1') {
      try {
        const h = await this.open(s, dir, 'r');
        try {
          await this.syncHandle(s, h, dir);
          return;
        } finally {
          await this.closeHandle(s, h);
        }
      } catch {
        // fall through to sync(1)
      }
    }
    await this.syncPath(dir);
  }

  private async mkdirs(s: Session, absDir: string): Promise<void> {
    const missing: string[] = [];
    let d = absDir;
    while (d.length > this.root.length) {
      try {
        const st = await this.sftpStat(s, d, true);
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
      await new Promise<void>((resolve, reject) =>
        s.sftp.mkdir(m, { mode: 0o755 }, (e) => {
          if (!e) return resolve();
          // Created meanwhile by another writer: fine if it is a directory now.
          this.sftpStat(s, m, true).then(
            (st) => (st.isDirectory() ? resolve() : reject(this.sftpError(e, m, 'mkdir'))),
            () => reject(this.sftpError(e, m, 'mkdir')),
          );
        }),
      );
    }
  }

  /** Move without replacing: hardlink@openssh.com + unlink, else SFTP rename (which never replaces). */
  private async placeNoClobber(s: Session, from: string, to: string): Promise<void> {
    const exists = async (e: unknown): Promise<never> => {
      const there = await this.sftpStat(s, to, true).then(
        () => true,
        () => false,
      );
      if (there) throw new DataError(`refusing to replace existing ${this.where()}:${to}`);
      throw this.sftpError(e, to, 'rename');
    };
    if (s.ext['hardlink@openssh.com'] === '1') {
      await new Promise<void>((resolve, reject) =>
        s.sftp.ext_openssh_hardlink(from, to, (e?: Error | null) => (e ? reject(e) : resolve())),
      ).catch(exists);
      await this.unlinkAbs(s, from);
      return;
    }
    await new Promise<void>((resolve, reject) => s.sftp.rename(from, to, (e) => (e ? reject(e) : resolve()))).catch(exists);
  }

  private async placeOverwrite(s: Session, from: string, to: string): Promise<void> {
    if (s.ext['posix-rename@openssh.com'] === '1') {
      await new Promise<void>((resolve, reject) =>
        s.sftp.ext_openssh_rename(from, to, (e?: Error | null) => (e ? reject(this.sftpError(e, to, 'rename')) : resolve())),
      );
      return;
    }
    const r = await this.exec(`mv -f -- ${shq(from)} ${shq(to)}`);
    if (r.code !== 0) throw new SshError(`mv ${this.where()}:${from}: ${r.stderr.trim()}`, 'EIO');
  }

  private unlinkAbs(s: Session, abs: string): Promise<void> {
    return new Promise((resolve, reject) => s.sftp.unlink(abs, (e) => (e ? reject(this.sftpError(e, abs, 'unlink')) : resolve())));
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
    const s = await this.sessionReady();
    const dir = posix.dirname(abs);
    await this.mkdirs(s, dir);
    const name = opts.tempName ?? `.${posix.basename(abs).slice(0, 100)}.ringshift-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    if (!name.startsWith('.') || name.includes('/') || name.endsWith('.wsp'))
      throw new DataError(`bad temp file name ${JSON.stringify(name)}`);
    const tmp = `${dir}/${name}`;
    const h = await this.open(s, tmp, 'wx', opts.mode ?? 0o644);
    let placed = false;
    let written = 0;
    try {
      let open = true;
      try {
        const pending: Promise<void>[] = [];
        let failure: unknown = null;
        const put = async (chunk: Buffer) => {
          const p = this.writeAt(s, h, tmp, written, chunk);
          written += chunk.length;
          p.catch((e) => (failure ??= e));
          pending.push(p);
          if (pending.length >= PIPELINE) await pending.shift();
          if (failure !== null) throw failure;
        };
        const max = this.chunkSize(s);
        const chunks = data instanceof Uint8Array ? [data] : data;
        for await (const c of chunks) {
          const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
          for (let o = 0; o < b.length; o += max) await put(b.subarray(o, Math.min(b.length, o + max)));
        }
        await Promise.all(pending);
        if (failure !== null) throw failure;
        if (opts.mtimeMs !== undefined) {
          const t = opts.mtimeMs / 1000;
          await new Promise<void>((resolve, reject) =>
            s.sftp.futimes(h, Date.now() / 1000, t, (e) => (e ? reject(this.sftpError(e, tmp, 'utimes')) : resolve())),
          );
        }
        await this.syncHandle(s, h, tmp);
      } catch (err) {
        throw await this.explainWriteFailure(err, written);
      } finally {
        if (open) await this.closeHandle(s, h);
        open = false;
      }
      if (opts.beforePlace !== undefined) await opts.beforePlace(posix.join(posix.dirname(rel), name));
      if (opts.overwrite === true) await this.placeOverwrite(s, tmp, abs);
      else await this.placeNoClobber(s, tmp, abs);
      placed = true;
      await this.syncDir(s, dir);
    } finally {
      if (!placed) await this.unlinkAbs(s, tmp).catch(() => undefined);
    }
  }

  async rename(fromRel: string, toRel: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    const from = this.abs(fromRel);
    const to = this.abs(toRel);
    const s = await this.sessionReady();
    await this.confine(s, from);
    const st = await this.sftpStat(s, from, true);
    if (!st.isFile()) throw new DataError(`refusing to move ${this.where()}:${from}: not a regular file`);
    await this.mkdirs(s, posix.dirname(to));
    if (opts.overwrite === true) await this.placeOverwrite(s, from, to);
    else await this.placeNoClobber(s, from, to);
    await this.syncDir(s, posix.dirname(to));
    if (posix.dirname(from) !== posix.dirname(to)) await this.syncDir(s, posix.dirname(from));
  }

  async unlink(rel: string): Promise<void> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    await this.confine(s, abs);
    const st = await this.sftpStat(s, abs, true);
    if (st.isDirectory()) throw new DataError(`refusing to unlink ${this.where()}:${abs}: a directory`);
    await this.unlinkAbs(s, abs);
    await this.syncDir(s, posix.dirname(abs));
  }

  async removeEmptyDir(rel: string): Promise<boolean> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    let st: SftpStats;
    try {
      await this.confine(s, abs);
      st = await this.sftpStat(s, abs, true);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false;
      throw err;
    }
    if (!st.isDirectory()) throw new DataError(`refusing to remove ${this.where()}:${abs}: not a directory`);
    const failed = await new Promise<unknown>((resolve) => s.sftp.rmdir(abs, (e) => resolve(e ?? null)));
    // SFTP v3 says only "Failure" for a directory that is not empty: whatever the reason, it stays.
    if (failed !== null) return false;
    this.confirmedDirs.delete(abs);
    // No directory sync: a removal lost in a crash leaves an empty directory, which is harmless (and a
    // sync per directory costs a round trip, or a whole-host sync(1) without fsync@openssh.com).
    return true;
  }

  async freeSpace(): Promise<FreeSpace> {
    const s = await this.sessionReady();
    if (s.ext['statvfs@openssh.com'] === '2') {
      type Vfs = { f_frsize: number | bigint | string; f_blocks: number | bigint | string; f_bavail: number | bigint | string };
      const v = await new Promise<Vfs | null>((resolve) =>
        s.sftp.ext_openssh_statvfs(this.root, (e: Error | undefined, st: Vfs) => resolve(e ? null : st)),
      );
      if (v !== null) {
        const frsize = Number(v.f_frsize);
        const total = Number(v.f_blocks) * frsize;
        const available = Number(v.f_bavail) * frsize;
        if (Number.isFinite(total) && Number.isFinite(available)) return { total, available };
      }
    }
    const r = await this.exec(`LC_ALL=C df -Pk -- ${shq(this.root)}`);
    const last = r.stdout.toString('utf8').trim().split('\n').pop() ?? '';
    const f = last.split(/\s+/);
    if (r.code !== 0 || f.length < 4 || !/^[0-9]+$/.test(f[1]!) || !/^[0-9]+$/.test(f[3]!)) {
      throw new SshError(`cannot read free space on ${this.where()}:${this.root}: ${r.stderr.trim() || last}`, 'EIO');
    }
    return { total: Number(f[1]) * 1024, available: Number(f[3]) * 1024 };
  }

  /** Host key fingerprint plus the root's device and inode: equal exactly for the same directory. */
  async identity(): Promise<string> {
    const r = await this.exec(`stat -L -c %d:%i -- ${shq(this.root)}`);
    const id = r.stdout.toString('utf8').trim();
    const key = this.hostKeyBlob === null ? this.where() : fingerprint(this.hostKeyBlob);
    return r.code === 0 && /^[0-9]+:[0-9]+$/.test(id) ? `ssh:${key}:${id}` : `ssh:${key}:${this.root}`;
  }

  async close(): Promise<void> {
    this.closing = true;
    const p = this.session;
    this.session = null;
    if (p === null) return;
    try {
      const s = await p;
      await new Promise<void>((resolve) => {
        if (s.closed) return resolve();
        s.client.once('close', () => resolve());
        s.client.end();
        setTimeout(resolve, 2000).unref();
      });
    } catch {
      // never connected
    }
  }

  // ---------------------------------------------------------------- beyond StorageDriver (apply)

  /** SFTP extensions the server offers (those in use: fsync, hardlink, posix-rename, statvfs @openssh.com). */
  async serverExtensions(): Promise<string[]> {
    return Object.keys((await this.sessionReady()).ext).sort();
  }

  /** Milliseconds the remote clock is ahead of ours (whole-second precision). */
  async clockOffsetMs(): Promise<number> {
    if (this.clockOffset === undefined) {
      const before = Date.now();
      const r = await this.exec('date +%s');
      const after = Date.now();
      const t = Number(r.stdout.toString('utf8').trim());
      this.clockOffset = r.code === 0 && Number.isFinite(t) ? t * 1000 + 500 - (before + after) / 2 : 0;
    }
    return this.clockOffset;
  }

  /** Timestamp granularity of stat() and list() (SFTP v3: whole seconds). */
  readonly mtimeGranularityMs = 1000;

  /** sha256 of a file computed on the host (null when sha256sum is missing there). */
  async sha256(rel: string): Promise<string | null> {
    const abs = this.abs(rel);
    const r = await this.exec(`sha256sum -b -- ${shq(abs)}`);
    if (r.code === 127) return null;
    const m = /^([0-9a-f]{64}) /.exec(r.stdout.toString('latin1'));
    if (r.code !== 0 || m === null) throw new SshError(`sha256sum ${this.where()}:${abs}: ${r.stderr.trim() || `exit ${r.code}`}`, 'EIO');
    return m[1]!;
  }

  /**
   * Hold flock(2) on a file, as carbon-cache takes it (WHISPER_LOCK_WRITES): flock(1) on a descriptor
   * of a shell that waits for a line on stdin. The file must exist (nothing is created) and still be
   * the same file once locked. The lock ends on release() or when the connection drops.
   */
  async lock(rel: string, mode: 'ex' | 'sh', timeoutMs: number): Promise<RemoteLock> {
    const abs = this.abs(rel);
    const q = shq(abs);
    const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
    // A redirection on a compound command (not on `exec`) may fail without ending the shell.
    const script =
      `{ flock -${mode === 'ex' ? 'x' : 's'} -w ${secs} 9 || exit 4; ` +
      `[ "$(stat -L -c %d:%i /dev/fd/9)" = "$(stat -L -c %d:%i -- ${q} 2>/dev/null)" ] || exit 5; ` +
      `echo locked; read -r _ || true; } 9<${q} || exit 3`;
    for (let attempt = 0; ; attempt++) {
      let ch!: ClientChannel;
      let chClosed = false;
      const outcome = await new Promise<'locked' | { code: number; stderr: string }>((resolve, reject) => {
        let out = '';
        let err = '';
        let code = -1;
        this.openExec(`sh -c ${shq(script)}`, (c) => {
          ch = c;
          c.on('data', (b: Buffer) => {
            out += b.toString('utf8');
            if (out.includes('locked\n')) resolve('locked');
          });
          c.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
          c.on('exit', (x: number | null) => (code = x ?? -1));
          c.on('close', () => {
            chClosed = true;
            resolve({ code, stderr: err });
          });
        }).catch(reject);
      });
      if (outcome === 'locked') {
        let done = false;
        return {
          release: () =>
            new Promise<void>((resolve) => {
              if (done || chClosed) return resolve();
              done = true;
              ch.once('close', () => resolve());
              ch.end('\n');
              setTimeout(resolve, 5000).unref();
            }),
        };
      }
      const { code, stderr } = outcome;
      if (code === 5 && attempt < 3) continue; // replaced while we waited: lock the new file
      if (code === 3)
        throw new SshError(
          `cannot open ${this.where()}:${abs} to lock it: ${stderr.trim()}`,
          /No such file/.test(stderr) ? 'ENOENT' : 'EACCES',
        );
      if (code === 4) throw new SshError(`${this.where()}:${abs} still locked after ${secs} s (carbon-cache or another fill?)`, 'ELOCKED');
      if (code === 127)
        throw new SshError(`flock(1) is not installed on ${this.where()} (util-linux): cannot lock whisper files there`, 'ENOTSUP');
      throw new SshError(`cannot lock ${this.where()}:${abs}: ${stderr.trim() || `exit ${code}`}`, 'EIO');
    }
  }

  /** Open an existing regular file for positional reads and writes. */
  async openFile(rel: string): Promise<RemoteFile> {
    const abs = this.abs(rel);
    const s = await this.sessionReady();
    const f = await this.openRegular(s, abs, 'r+');
    let closed = false;
    return {
      size: f.size,
      readAll: async () => {
        const parts: Buffer[] = [];
        for await (const b of this.readPipelined(s, f.h, abs, 0, f.size)) parts.push(b);
        return Buffer.concat(parts);
      },
      write: async (position, data) => {
        const max = this.chunkSize(s);
        const all: Promise<void>[] = [];
        for (let o = 0; o < data.length; o += max)
          all.push(this.writeAt(s, f.h, abs, position + o, data.subarray(o, Math.min(data.length, o + max))));
        try {
          await Promise.all(all);
        } catch (err) {
          throw await this.explainWriteFailure(err, data.length);
        }
      },
      sync: () => this.syncHandle(s, f.h, abs),
      close: async () => {
        if (closed) return;
        closed = true;
        await this.closeHandle(s, f.h);
      },
    };
  }

  // ---------------------------------------------------------------- listing

  private async hasGnuFind(): Promise<boolean> {
    if (this.gnuFind === undefined) {
      const method = this.opts.listMethod ?? 'auto';
      if (method === 'sftp') this.gnuFind = false;
      else {
        const r = await this.exec(`find ${shq(this.root)} -maxdepth 0 -printf 'ok'`);
        this.gnuFind = r.code === 0 && r.stdout.toString() === 'ok';
        if (!this.gnuFind && method === 'find') throw new SshError(`GNU find with -printf is not available on ${this.where()}`, 'ENOTSUP');
      }
    }
    return this.gnuFind;
  }

  list(opts: ListOptions = {}): AsyncGenerator<WalkEntry[]> {
    return this.listTree(opts);
  }

  private async *listTree(opts: ListOptions): AsyncGenerator<WalkEntry[]> {
    const batchSize = Math.max(1, opts.batchSize ?? 4096);
    const progress = { dirs: 0, files: 0 };
    const batch: WalkEntry[] = [];
    const followLinks: { rel: string; chain: string[] }[] = [];
    const gnu = await this.hasGnuFind();
    // Subtrees to walk: the root, then directories reached through followed symlinks.
    const queue: { abs: string; rel: string; chain: string[] }[] = [{ abs: this.root, rel: '', chain: [] }];
    const s = await this.sessionReady();
    while (queue.length > 0) {
      const sub = queue.shift()!;
      const source = gnu ? this.findRecords(sub.abs, sub.rel, opts, progress) : this.sftpRecords(s, sub.abs, sub.rel, opts, progress);
      for await (const e of source) {
        if (e.type === 'symlink' && opts.followSymlinks === true && e.badName !== true) {
          followLinks.push({ rel: e.rel, chain: sub.chain });
          if (followLinks.length >= 256) yield* this.flushLinks(s, followLinks, batch, queue, opts, progress, batchSize);
          continue;
        }
        batch.push(e);
        if (batch.length >= batchSize) {
          opts.onProgress?.({ ...progress });
          yield batch.splice(0);
        }
      }
      yield* this.flushLinks(s, followLinks, batch, queue, opts, progress, batchSize);
    }
    opts.onProgress?.({ ...progress });
    if (batch.length > 0) yield batch.splice(0);
  }

  /** Resolve symlinks (follow mode) like the local walker: files and directories inside the root only. */
  private async *flushLinks(
    s: Session,
    links: { rel: string; chain: string[] }[],
    batch: WalkEntry[],
    queue: { abs: string; rel: string; chain: string[] }[],
    opts: ListOptions,
    progress: { dirs: number; files: number },
    batchSize: number,
  ): AsyncGenerator<WalkEntry[]> {
    const todo = links.splice(0);
    const suffix = opts.suffix ?? '.wsp';
    const inside = (p: string) => p === this.root || p.startsWith(this.root === '/' ? '/' : this.root + '/');
    const results = await Promise.all(
      todo.map(async (l) => {
        const abs = this.abs(l.rel);
        const target = await new Promise<string>((resolve) => s.sftp.readlink(abs, (e, t) => resolve(e ? '' : t)));
        try {
          const real = await this.realpath(s, abs);
          if (!inside(real)) return { l, target, note: 'points outside the root; not followed' };
          const st = await this.sftpStat(s, real, false);
          return { l, target, real, st };
        } catch (err) {
          return { l, target, note: `broken link (${(err as { code?: string }).code ?? 'error'}); not followed` };
        }
      }),
    );
    for (const r of results) {
      const slash = r.l.rel.lastIndexOf('/');
      const dir = slash < 0 ? '' : r.l.rel.slice(0, slash);
      const name = r.l.rel.slice(slash + 1);
      const linkEntry = (note: string): WalkEntry => ({ rel: r.l.rel, dir, name, type: 'symlink', target: r.target, note });
      if ('note' in r && r.note !== undefined) batch.push(linkEntry(r.note));
      else if (r.st!.isDirectory()) {
        const linkDirReal = await this.realpath(s, posix.dirname(this.abs(r.l.rel)));
        const anc = (c: string, p: string) => p === c || p.startsWith(c === '/' ? '/' : c + '/');
        if (anc(r.real!, linkDirReal) || r.l.chain.some((c) => anc(r.real!, c))) batch.push(linkEntry('directory loop; not followed'));
        else queue.push({ abs: r.real!, rel: r.l.rel, chain: [...r.l.chain, r.real!] });
      } else if (r.st!.isFile() && name.endsWith(suffix)) {
        progress.files++;
        const e: WalkEntry = { rel: r.l.rel, dir, name, type: 'file', note: `via symlink to ${r.real!.slice(this.root.length + 1)}` };
        if (opts.stat === true) {
          e.size = r.st!.size;
          e.mtimeMs = r.st!.mtime * 1000;
        }
        batch.push(e);
      }
      if (batch.length >= batchSize) yield batch.splice(0);
    }
  }

  /** GNU find over exec: NUL-separated records, streamed. */
  private async *findRecords(
    absDir: string,
    relBase: string,
    opts: ListOptions,
    progress: { dirs: number; files: number },
  ): AsyncGenerator<WalkEntry> {
    const suffix = opts.suffix ?? '.wsp';
    const pattern = '*' + suffix.replace(/[\\*?[\]]/g, '\\$&');
    const fileFmt = opts.stat === true ? "'F\\0%P\\0%s\\0%T@\\0'" : "'f\\0%P\\0'";
    const cmd =
      `LC_ALL=C find -P ${shq(absDir)} -mindepth 1 ` +
      `\\( -type d -printf 'd\\0%P\\0' \\) -o \\( -type f -name ${shq(pattern)} -printf ${fileFmt} \\) -o \\( -type l -printf 'l\\0%P\\0%l\\0' \\)`;
    let stderr = '';
    let code = -1;
    let closed!: Promise<void>;
    const ch = await this.openExec(cmd, (c) => {
      c.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      c.on('exit', (x: number | null) => (code = x ?? -1));
      closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    });
    const fields: Buffer[] = [];
    let carry: Buffer = Buffer.alloc(0);
    const need = (kind: number) => (kind === 0x46 ? 4 : kind === 0x6c ? 3 : 2); // F, l, d/f
    const decode = (b: Buffer): { text: string; bad: boolean } =>
      isUtf8(b) ? { text: b.toString('utf8'), bad: false } : { text: escapeBytes(b), bad: true };
    const join = (p: string) => (relBase === '' ? p : relBase + '/' + p);
    try {
      for await (const chunk of ch as AsyncIterable<Buffer>) {
        let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (let z = buf.indexOf(0, start); z >= 0; z = buf.indexOf(0, start)) {
          fields.push(buf.subarray(start, z));
          start = z + 1;
          const kind = fields[0]![0]!;
          if (fields.length < need(kind)) continue;
          const [, p, a, b] = fields.splice(0);
          if (kind === 0x64) {
            progress.dirs++;
            continue;
          }
          const { text, bad } = decode(p!);
          const rel = join(text);
          const slash = rel.lastIndexOf('/');
          const e: WalkEntry = {
            rel,
            dir: slash < 0 ? '' : rel.slice(0, slash),
            name: rel.slice(slash + 1),
            type: kind === 0x6c ? 'symlink' : 'file',
          };
          if (bad) e.badName = true;
          if (kind === 0x6c) e.target = decode(a!).text;
          else {
            progress.files++;
            if (kind === 0x46) {
              e.size = Number(a!.toString('latin1'));
              e.mtimeMs = Math.floor(Number(b!.toString('latin1'))) * 1000;
            }
          }
          yield e;
        }
        buf = buf.subarray(start);
        carry = Buffer.from(buf);
      }
      await closed;
    } finally {
      ch.close();
    }
    // Unreadable directories (find keeps going and exits 1).
    for (const line of stderr.split('\n')) {
      const m = /^find: '(.*)': (.*)$/.exec(line);
      if (m === null) continue;
      const p = m[1]!;
      if (p === absDir) throw new SshError(`cannot list ${this.where()}:${absDir}: ${m[2]}`, /Permission/.test(m[2]!) ? 'EACCES' : 'EIO');
      if (!p.startsWith(absDir + '/') || /No such file/.test(m[2]!)) continue;
      const rel = join(p.slice(absDir.length + 1));
      const slash = rel.lastIndexOf('/');
      const why = /Permission denied/.test(m[2]!) ? 'EACCES' : m[2]!;
      yield {
        rel,
        dir: slash < 0 ? '' : rel.slice(0, slash),
        name: rel.slice(slash + 1),
        type: 'unreadable',
        note: `cannot read directory: ${why}`,
      };
    }
    if (code !== 0 && code !== 1) throw new SshError(`find on ${this.where()}:${absDir} failed: ${stderr.trim() || `exit ${code}`}`, 'EIO');
  }

  /** SFTP readdir walk (hosts without GNU find): a few directories read at once. */
  private async *sftpRecords(
    s: Session,
    absDir: string,
    relBase: string,
    opts: ListOptions,
    progress: { dirs: number; files: number },
  ): AsyncGenerator<WalkEntry> {
    const suffix = opts.suffix ?? '.wsp';
    const stack: { abs: string; rel: string }[] = [{ abs: absDir, rel: relBase }];
    const readdir = (abs: string) =>
      new Promise<{ filename: string; attrs: SftpStats }[]>((resolve, reject) =>
        s.sftp.readdir(abs, (e, list) => (e ? reject(this.sftpError(e, abs, 'readdir')) : resolve(list as never))),
      );
    while (stack.length > 0) {
      const group = stack.splice(-8);
      const lists = await Promise.all(
        group.map((d) =>
          readdir(d.abs).then(
            (l) => ({ d, l }),
            (err: unknown) => ({ d, err }),
          ),
        ),
      );
      for (const item of lists) {
        const d = item.d;
        progress.dirs++;
        if ('err' in item) {
          if (d.rel === relBase) throw item.err;
          if ((item.err as { code?: string }).code === 'ENOENT') continue;
          const slash = d.rel.lastIndexOf('/');
          yield {
            rel: d.rel,
            dir: slash < 0 ? '' : d.rel.slice(0, slash),
            name: d.rel.slice(slash + 1),
            type: 'unreadable',
            note: `cannot read directory: ${(item.err as { code?: string }).code}`,
          };
          continue;
        }
        for (const ent of item.l) {
          const name = ent.filename;
          if (name === '.' || name === '..') continue;
          const rel = d.rel === '' ? name : d.rel + '/' + name;
          const abs = d.abs + '/' + name;
          const st = ent.attrs;
          const base: WalkEntry = { rel, dir: d.rel, name, type: 'file' };
          if (name.includes('\ufffd')) {
            yield { ...base, type: 'unreadable', note: 'name is not UTF-8 (listed over SFTP, which cannot show it)' };
          } else if (st.isDirectory()) stack.push({ abs, rel });
          else if (st.isSymbolicLink()) {
            const target = await new Promise<string>((resolve) => s.sftp.readlink(abs, (e, t) => resolve(e ? '' : t)));
            yield { ...base, type: 'symlink', target };
          } else if (st.isFile() && name.endsWith(suffix)) {
            progress.files++;
            if (opts.stat === true) {
              base.size = st.size;
              base.mtimeMs = st.mtime * 1000;
            }
            yield base;
          }
        }
      }
    }
  }
}

function toFileInfo(st: SftpStats): FileInfo {
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { type, size: st.size, mtimeMs: st.mtime * 1000, mode: st.mode & 0o7777 };
}
