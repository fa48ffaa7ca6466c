// One ssh connection to a storage node, shared by everything the ssh driver does there: login (keys,
// agent), the host key check, the SFTP channel, and a hard budget of channels. OpenSSH allows 10
// sessions per connection (MaxSessions); we never open more than `maxChannels` (8 by default): the
// SFTP channel and the driver's two long-lived shells have theirs set aside (a shell never queues
// behind commands), one-off commands share the rest and queue beyond it, so no action ever fails with
// "no more sessions" and no action ever waits for a channel while it holds something another needs.
//
// Every remote wait is bounded: a watchdog declares the connection dead when requests are pending and
// nothing has come back for `opTimeoutMs`; a lost connection rejects every pending request at once
// with one message (never a promise left hanging), and the next request reconnects.
import * as fs from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthenticationType, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { UsageError } from '../errors.js';
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
  /** Channels open at once on the connection, SFTP and the two remote shells included (default 8, at least 4; OpenSSH allows 10). */
  maxChannels?: number | undefined;
  /** @deprecated the old name: exec channels besides SFTP (maxChannels = this + 1). */
  maxExecChannels?: number | undefined;
  /** A request without any answer from the node for this long means the node is gone (default 120 s). */
  opTimeoutMs?: number | undefined;
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

export const SFTP_CODE: Record<number, string> = {
  1: 'EOF',
  2: 'ENOENT',
  3: 'EACCES',
  4: 'EIO',
  5: 'EBADMSG',
  6: 'ENOTCONN',
  7: 'ECONNRESET',
  8: 'EOPNOTSUPP',
};

export interface SshTarget {
  user: string;
  host: string;
  port: number;
  path: string;
}

export function parseSshUrl(url: string): SshTarget {
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

/** A live connection: the ssh2 client, its SFTP channel and the server's SFTP extensions. */
export interface Live {
  client: InstanceType<typeof Client>;
  sftp: SFTPWrapper;
  ext: Record<string, string>;
  closed: boolean;
  /** Why it ended (set when it is closed). */
  lostReason: string | null;
  /** Rejecters of the requests waiting on this connection. */
  pending: Set<(err: Error) => void>;
  /** performance.now() of the last answer from the node. */
  lastAnswer: number;
  /** Called once when the connection is gone (waiters that are not requests: shells, commands). */
  onLost: Set<(err: Error) => void>;
  /** The TCP socket under the connection (ours, so bulk writes can be corked into one syscall). */
  sock: Socket;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export class SshConnection {
  private live: Promise<Live> | null = null;
  private current: Live | null = null;
  hostKeyBlob: Buffer | null = null;
  private closing = false;
  /** Channel budget (SFTP and remote shells included). */
  private limit: number;
  private inUse = 0;
  private waiters: { grant: () => void; fail: (e: Error) => void }[] = [];
  private watchdog: NodeJS.Timeout | null = null;
  readonly opTimeoutMs: number;

  constructor(
    readonly target: SshTarget,
    private readonly opts: SshOptions,
  ) {
    const fromOld = opts.maxExecChannels === undefined ? undefined : opts.maxExecChannels + 3;
    // One-off commands get what SFTP and the two shells leave.
    this.limit = Math.max(1, Math.min(9, opts.maxChannels ?? fromOld ?? 8) - 3);
    this.opTimeoutMs = opts.opTimeoutMs ?? 120_000;
  }

  where(): string {
    return `${this.target.user}@${this.target.host}${this.target.port === 22 ? '' : ':' + this.target.port}`;
  }

  /** The live connection (connecting, or reconnecting after a loss, when needed). */
  ready(): Promise<Live> {
    if (this.closing) return Promise.reject(new SshError(`${this.where()}: connection closed`, 'ENOTCONN'));
    if (this.live === null) {
      const p = this.connectOnce();
      this.live = p;
      p.catch(() => {
        if (this.live === p) this.live = null;
      });
    }
    return this.live;
  }

  /** Channels the connection may have open at once (SFTP, the two shells and one-off commands). */
  get channelLimit(): number {
    return this.limit + 3;
  }

  /** Take one channel of the one-off commands' budget; waits (bounded) when all are in use. */
  acquireChannel(timeoutMs = this.opTimeoutMs): Promise<() => void> {
    const grantFn = (): (() => void) => {
      this.inUse++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.inUse--;
        this.pump();
      };
    };
    if (this.inUse < this.limit && this.waiters.length === 0) return Promise.resolve(grantFn());
    return new Promise((resolve, reject) => {
      const w = {
        grant: () => {
          clearTimeout(timer);
          resolve(grantFn());
        },
        fail: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(
          new SshError(
            `waited ${Math.round(timeoutMs / 1000)} s for one of the ${this.limit} ssh command channels to ${this.where()} (all busy)`,
            'ETIMEDOUT',
          ),
        );
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  private pump(): void {
    while (this.inUse < this.limit && this.waiters.length > 0) this.waiters.shift()!.grant();
  }

  /**
   * Open a channel with `open` inside the budget (`reserved`: one of the set-aside channels of the
   * long-lived shells). A server that refuses the channel ("Channel open failure": fewer sessions
   * allowed than we assumed) lowers the budget and is asked again.
   */
  async openChannel(
    open: (client: InstanceType<typeof Client>, cb: (err: Error | undefined, ch: ClientChannel) => void) => void,
    attach: (ch: ClientChannel) => void,
    reserved = false,
  ): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      const release = reserved ? () => undefined : await this.acquireChannel();
      let live: Live;
      try {
        live = await this.ready();
      } catch (err) {
        release();
        throw err;
      }
      try {
        return await this.request<ClientChannel>(live, 'open a channel on', '', (cb) =>
          open(live.client, (e, c) => {
            if (e) return cb(e, c);
            c.on('close', release);
            attach(c);
            cb(undefined, c);
          }),
        );
      } catch (err) {
        release();
        const msg = (err as Error).message ?? '';
        if (/open failure|administratively prohibited|no more sessions/i.test(msg) && attempt < 10 && !live.closed) {
          if (this.limit > 1) this.limit = Math.max(1, Math.min(this.limit - 1, this.inUse));
          await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Run one request against the live connection: `fn` gets a node-style callback. The request fails
   * with a clear message when the connection is lost (or the watchdog finds it silent) meanwhile.
   */
  request<T>(live: Live, doing: string, path: string, fn: (cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
    if (live.closed) return Promise.reject(this.lostError(live));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const rejecter = (e: Error) => {
        if (done) return;
        done = true;
        live.pending.delete(rejecter);
        reject(e);
      };
      // The silence is counted from the older of the last answer and the first request now waiting:
      // a request after an idle spell is not "unanswered for" the idle time.
      if (live.pending.size === 0) live.lastAnswer = performance.now();
      live.pending.add(rejecter);
      // Requests made in one turn of the event loop (and the several channel packets of one big
      // write) reach the kernel in one writev, not one write each.
      if (!live.sock.writableCorked) {
        live.sock.cork();
        process.nextTick(() => live.sock.uncork());
      }
      try {
        fn((err, value) => {
          if (done) return;
          done = true;
          live.pending.delete(rejecter);
          live.lastAnswer = performance.now();
          if (err) reject(this.mapError(live, err, doing, path));
          else resolve(value);
        });
      } catch (err) {
        rejecter(this.mapError(live, err as Error, doing, path));
      }
    });
  }

  /** Keep the watchdog's clock running while data streams on a channel. */
  touch(live: Live): void {
    live.lastAnswer = performance.now();
  }

  /** Register a waiter that fails when the connection goes (not watched for answers); returns its remover. */
  onLoss(live: Live, reject: (e: Error) => void): () => void {
    if (live.closed) {
      reject(this.lostError(live));
      return () => undefined;
    }
    live.onLost.add(reject);
    return () => live.onLost.delete(reject);
  }

  lostError(live: Live): SshError {
    return new SshError(`lost the connection to ${this.where()}: ${live.lostReason ?? 'closed'}`, 'ECONNRESET');
  }

  private mapError(live: Live, err: Error, doing: string, path: string): Error {
    if (err instanceof SshError || err instanceof UsageError) return err;
    const e = err as { code?: number | string; message?: string };
    if (live.closed || /No response from server|Not connected|ECONNRESET/i.test(e.message ?? '')) return this.lostError(live);
    const code = typeof e.code === 'number' ? (SFTP_CODE[e.code] ?? 'EIO') : (e.code ?? 'EIO');
    return new SshError(`${doing} ${this.where()}${path === '' ? '' : ':' + path}: ${e.message ?? String(err)}`, code);
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
            { expected: 'an unencrypted private key, or an ssh-agent holding it' },
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

  private connectOnce(): Promise<Live> {
    const { methods, tried } = this.authMethods();
    const knownFiles = this.opts.knownHostsFiles ?? defaultKnownHostsFiles();
    const client = new Client();
    const sock = tcpConnect({ host: this.target.host, port: this.target.port });
    sock.setNoDelay(true);
    // What an incoming packet sets off (requests held back by the channel window, now sent) leaves
    // in one writev, not one write per packet.
    sock.prependListener('data', () => {
      sock.cork();
      process.nextTick(() => sock.uncork());
    });
    let hostProblem: string | null = null;
    return new Promise<Live>((resolve, reject) => {
      let settled = false;
      let live: Live | null = null;
      const lose = (why: string) => {
        if (live === null || live.closed) return;
        live.closed = true;
        live.lostReason = why;
        if (this.current === live) this.current = null;
        const l = live;
        if (this.live !== null)
          void this.live.then(
            (cur) => cur === l && (this.live = null),
            () => undefined,
          );
        const err = this.lostError(l);
        for (const r of [...l.pending]) r(err);
        l.pending.clear();
        for (const f of [...l.onLost]) f(err);
        l.onLost.clear();
        client.end();
      };
      const fail = (err: unknown) => {
        const e = err as Error & { level?: string; code?: string };
        if (settled) {
          lose(e.message ?? String(err));
          return;
        }
        settled = true;
        client.end();
        if (hostProblem !== null) reject(new UsageError(`ssh ${this.where()}: ${hostProblem}`));
        else if (e.level === 'client-authentication')
          reject(
            new UsageError(`ssh ${this.where()}: authentication failed (tried ${tried.join(', ')})`, {
              expected: 'a key the server accepts',
            }),
          );
        else if (e.level === 'client-timeout')
          reject(
            new SshError(`ssh ${this.where()}: no answer within ${Math.round((this.opts.readyTimeoutMs ?? 20_000) / 1000)} s`, 'ETIMEDOUT'),
          );
        else reject(new SshError(`ssh ${this.where()}: ${e.message}`, e.code ?? 'ECONNREFUSED'));
      };
      client.on('error', fail);
      client.on('close', () => (settled ? lose('the connection closed') : fail(new Error('the connection closed during login'))));
      client.on('end', () => settled && lose('the server ended the connection'));
      client.on('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          settled = true;
          const ext = ((sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {}) as Record<string, string>;
          live = {
            client,
            sftp,
            ext,
            closed: false,
            lostReason: null,
            pending: new Set(),
            lastAnswer: performance.now(),
            onLost: new Set(),
            sock,
          };
          sftp.on('close', () => lose('the SFTP channel closed'));
          this.current = live;
          this.startWatchdog();
          resolve(live);
        });
      });
      client.connect({
        sock,
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

  /** One timer per connection: pending requests and no answer for opTimeoutMs = the node is gone. */
  private startWatchdog(): void {
    if (this.watchdog !== null) return;
    const every = Math.max(200, Math.min(5000, this.opTimeoutMs / 4));
    this.watchdog = setInterval(() => {
      const l = this.current;
      if (l === null || l.closed || l.pending.size === 0) return;
      if (performance.now() - l.lastAnswer > this.opTimeoutMs) {
        const err = new SshError(`${this.where()} did not answer for ${Math.round(this.opTimeoutMs / 1000)} s`, 'ETIMEDOUT');
        l.lostReason = `no answer for ${Math.round(this.opTimeoutMs / 1000)} s`;
        for (const r of [...l.pending]) r(err);
        l.pending.clear();
        l.client.end();
      }
    }, every);
    this.watchdog.unref();
  }

  /** Close the connection; pending requests fail, waiting channel requests fail. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const w of this.waiters.splice(0)) w.fail(new SshError(`${this.where()}: connection closed`, 'ENOTCONN'));
    const p = this.live;
    this.live = null;
    if (p === null) return;
    let l: Live;
    try {
      l = await p;
    } catch {
      return; // never connected
    }
    if (l.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        (l.client as unknown as { destroy?: () => void }).destroy?.();
        resolve();
      }, 2000);
      l.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      l.client.end();
    });
  }
}
