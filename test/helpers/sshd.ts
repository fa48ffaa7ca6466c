// SSH servers for tests.
//
// startSshServer(): an in-process ssh2 server on 127.0.0.1 with a throwaway host key and user key. Its
// SFTP subsystem serves this machine's filesystem (absolute paths) and its exec runs commands with
// /bin/sh, so the ssh driver's find/flock/sha256sum/sync scripts really run. Like ssh2's default
// server it advertises no SFTP extensions, which exercises the driver's fallbacks (sync(1) instead of
// fsync@openssh.com, plain RENAME instead of hardlink@openssh.com); RENAME never replaces a file, as
// in OpenSSH. Faults can be injected (failing writes = a full disk) and the connection can be cut;
// when a client goes away its commands are killed, as sshd does (that releases flock(1) locks).
//
// realSshd(): the OpenSSH server .ci/sshd-test.sh starts on loopback, described by the
// RINGSHIFT_SSHD_TEST environment variable (JSON), or undefined when it is not running.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll } from 'vitest';
import type { SshOptions } from '../../src/storage/ssh-driver.js';
import { keyPair } from './ssh-keys.js';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

export interface TestSshServer {
  host: string;
  port: number;
  user: string;
  /** Private key file the server accepts. */
  identityFile: string;
  /** A known_hosts file holding the server's host key. */
  knownHostsFile: string;
  /** Host key blob (for fingerprint checks). */
  hostKeyBlob: Buffer;
  /** ssh:// URL for an absolute path on this machine. */
  url(path: string): string;
  /** Counters: connections, exec commands run, SFTP requests by type. */
  stats: { connections: number; execs: string[]; sftp: Record<string, number> };
  faults: Faults;
  /** Cut every client connection (the TCP socket), as a network failure would. */
  dropAll(): void;
  stop(): Promise<void>;
}

export interface Faults {
  /** Return true to answer a WRITE to this path with FAILURE (what sftp-server says on ENOSPC). */
  failWrite?: ((path: string, offset: number) => boolean) | undefined;
  /** Answer an exec command without running it. */
  exec?: ((command: string) => { code: number; stdout?: string; stderr?: string } | undefined) | undefined;
  /**
   * Rewrite what a client sends to a running command's stdin (the driver's long-lived shells read
   * their commands there), e.g. turn a `df` into a printf of a full disk.
   */
  shellInput?: ((text: string) => string) | undefined;
  /** Return true to answer an OPEN of this path with PERMISSION_DENIED (a read-only node). */
  denyOpen?: ((path: string, flags: string) => boolean) | undefined;
  /** Answer SFTP STAT and LSTAT this many ms late (a node slow to answer). */
  statDelayMs?: number | undefined;
}

export interface ServerOptions {
  /** Accept only this user name (default: any). */
  user?: string;
}

function errStatus(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'ENOENT':
      return STATUS_CODE.NO_SUCH_FILE;
    case 'EACCES':
    case 'EPERM':
      return STATUS_CODE.PERMISSION_DENIED;
    default:
      return STATUS_CODE.FAILURE;
  }
}

function attrsOf(st: fs.Stats): ssh2.Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function serveSftp(sftp: SFTPWrapper, server: TestSshServer): void {
  const handles = new Map<string, { fd?: number; path: string; dir?: string[] }>();
  let next = 0;
  const count = (t: string) => (server.stats.sftp[t] = (server.stats.sftp[t] ?? 0) + 1);
  const newHandle = (h: { fd?: number; path: string; dir?: string[] }) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(next++);
    handles.set(b.toString('hex'), h);
    return b;
  };
  const get = (b: Buffer) => handles.get(b.toString('hex'));
  const fail = (id: number, e: unknown) => sftp.status(id, errStatus(e as NodeJS.ErrnoException), (e as Error).message);

  sftp.on('OPEN', (id, path, flags, attrs) => {
    count('OPEN');
    const mode = utils.sftp.flagsToString(flags) ?? 'r';
    if (server.faults.denyOpen?.(path, mode)) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    try {
      const fd = fs.openSync(path, mode, attrs.mode ?? 0o644);
      sftp.handle(id, newHandle({ fd, path }));
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('READ', (id, h, offset, len) => {
    count('READ');
    const f = get(h);
    if (f?.fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE);
    const buf = Buffer.alloc(len);
    fs.read(f.fd, buf, 0, len, offset, (e, n) => {
      if (e) return fail(id, e);
      if (n === 0) return sftp.status(id, STATUS_CODE.EOF);
      sftp.data(id, buf.subarray(0, n));
    });
  });
  sftp.on('WRITE', (id, h, offset, data) => {
    count('WRITE');
    const f = get(h);
    if (f?.fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE);
    if (server.faults.failWrite?.(f.path, offset)) return sftp.status(id, STATUS_CODE.FAILURE, 'Failure');
    fs.write(f.fd, data, 0, data.length, offset, (e) => (e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK)));
  });
  sftp.on('FSTAT', (id, h) => {
    count('FSTAT');
    const f = get(h);
    try {
      sftp.attrs(id, attrsOf(f?.fd !== undefined ? fs.fstatSync(f.fd) : fs.statSync(f!.path)));
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('FSETSTAT', (id, h, attrs) => {
    count('FSETSTAT');
    const f = get(h);
    try {
      if (attrs.mtime !== undefined && f?.fd !== undefined) fs.futimesSync(f.fd, attrs.atime ?? attrs.mtime, attrs.mtime);
      if (attrs.mode !== undefined && f?.fd !== undefined) fs.fchmodSync(f.fd, attrs.mode & 0o7777);
      sftp.status(id, STATUS_CODE.OK);
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('CLOSE', (id, h) => {
    count('CLOSE');
    const key = h.toString('hex');
    const f = handles.get(key);
    handles.delete(key);
    if (f?.fd !== undefined) fs.closeSync(f.fd);
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('OPENDIR', (id, path) => {
    count('OPENDIR');
    try {
      sftp.handle(id, newHandle({ path, dir: fs.readdirSync(path) }));
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('READDIR', (id, h) => {
    count('READDIR');
    const f = get(h);
    if (!f?.dir || f.dir.length === 0) return sftp.status(id, STATUS_CODE.EOF);
    const names = f.dir.splice(0, 100).flatMap((filename) => {
      try {
        const st = fs.lstatSync(join(f.path, filename));
        return [{ filename, longname: filename, attrs: attrsOf(st) }];
      } catch {
        return [];
      }
    });
    sftp.name(id, names);
  });
  for (const [ev, fn] of [
    ['LSTAT', fs.lstatSync],
    ['STAT', fs.statSync],
  ] as const) {
    sftp.on(ev, (id: number, path: string) => {
      count(ev);
      const answer = () => {
        try {
          sftp.attrs(id, attrsOf(fn(path)));
        } catch (e) {
          fail(id, e);
        }
      };
      const delay = server.faults.statDelayMs ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  }
  sftp.on('REMOVE', (id, path) => {
    count('REMOVE');
    fs.unlink(path, (e) => (e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK)));
  });
  sftp.on('RMDIR', (id, path) => {
    count('RMDIR');
    fs.rmdir(path, (e) => (e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK)));
  });
  sftp.on('MKDIR', (id, path, attrs) => {
    count('MKDIR');
    fs.mkdir(path, { mode: attrs.mode ?? 0o755 }, (e) => (e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK)));
  });
  sftp.on('REALPATH', (id, path) => {
    count('REALPATH');
    try {
      const real = fs.realpathSync(path === '' ? '.' : path);
      sftp.name(id, [{ filename: real, longname: real, attrs: {} as ssh2.Attributes }]);
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('READLINK', (id, path) => {
    count('READLINK');
    try {
      const t = fs.readlinkSync(path);
      sftp.name(id, [{ filename: t, longname: t, attrs: {} as ssh2.Attributes }]);
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('SETSTAT', (id, path, attrs) => {
    count('SETSTAT');
    try {
      if (attrs.mtime !== undefined) fs.utimesSync(path, attrs.atime ?? attrs.mtime, attrs.mtime);
      if (attrs.mode !== undefined) fs.chmodSync(path, attrs.mode & 0o7777);
      sftp.status(id, STATUS_CODE.OK);
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('RENAME', (id, from, to) => {
    count('RENAME');
    // OpenSSH's sftp-server: link + unlink, so an existing target is never replaced.
    try {
      fs.linkSync(from, to);
      fs.unlinkSync(from);
      sftp.status(id, STATUS_CODE.OK);
    } catch (e) {
      fail(id, e);
    }
  });
  sftp.on('SYMLINK', (id, target, link) => {
    count('SYMLINK');
    fs.symlink(target, link, (e) => (e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK)));
  });
  sftp.on('close', () => {
    for (const f of handles.values()) if (f.fd !== undefined) fs.closeSync(f.fd);
    handles.clear();
  });
}

function serveExec(ch: ServerChannel, command: string, children: Set<ChildProcess>, server: TestSshServer): void {
  server.stats.execs.push(command);
  const fake = server.faults.exec?.(command);
  if (fake !== undefined) {
    if (fake.stdout) ch.write(fake.stdout);
    if (fake.stderr) ch.stderr.write(fake.stderr);
    ch.exit(fake.code);
    ch.end();
    return;
  }
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  children.add(child);
  child.stdout.on('data', (b: Buffer) => ch.write(b));
  child.stderr.on('data', (b: Buffer) => ch.stderr.write(b));
  ch.on('data', (b: Buffer) => {
    const rewrite = server.faults.shellInput;
    child.stdin.write(rewrite === undefined ? b : Buffer.from(rewrite(b.toString('latin1')), 'latin1'));
  });
  ch.on('end', () => child.stdin.end());
  child.stdin.on('error', () => undefined);
  child.on('close', (code, signal) => {
    children.delete(child);
    try {
      if (code !== null) ch.exit(code);
      else ch.exit(signal ?? 'KILL');
      ch.end();
    } catch {
      // client already gone
    }
  });
}

/**
 * One in-process server for this test file: started before its tests (beforeAll), stopped after them
 * (afterAll), then `cleanup` runs. `options()` are the driver options that log in to it.
 */
export function sshServerForFile(cleanup: () => void = () => {}): { readonly server: TestSshServer; options(): SshOptions } {
  let server: TestSshServer | undefined;
  beforeAll(async () => {
    server = await startSshServer();
  });
  afterAll(async () => {
    await server!.stop();
    cleanup();
  });
  return {
    get server(): TestSshServer {
      return server!;
    },
    options(): SshOptions {
      return { identityFiles: [server!.identityFile], knownHostsFiles: [server!.knownHostsFile], agent: null };
    },
  };
}

export async function startSshServer(opts: ServerOptions = {}): Promise<TestSshServer> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-sshd-'));
  const hostKey = keyPair();
  const userKey = keyPair();
  const identityFile = join(dir, 'id_ed25519');
  fs.writeFileSync(identityFile, userKey.private, { mode: 0o600 });
  const allowed = utils.parseKey(userKey.public);
  if (allowed instanceof Error) throw allowed;
  const hostPub = utils.parseKey(hostKey.public);
  if (hostPub instanceof Error) throw hostPub;
  const hostKeyBlob = hostPub.getPublicSSH();
  const conns = new Set<Connection>();
  const children = new Set<ChildProcess>();

  const api: TestSshServer = {
    host: '127.0.0.1',
    port: 0,
    user: opts.user ?? 'tester',
    identityFile,
    knownHostsFile: join(dir, 'known_hosts'),
    hostKeyBlob,
    url: (path) => `ssh://${api.user}@127.0.0.1:${api.port}${path}`,
    stats: { connections: 0, execs: [], sftp: {} },
    faults: {},
    dropAll: () => {
      for (const c of conns) (c as unknown as { _sock: { destroy(): void } })._sock.destroy();
    },
    stop: async () => {
      api.dropAll();
      for (const c of children) killTree(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    api.stats.connections++;
    conns.add(client);
    const mine = new Set<ChildProcess>();
    client.on('authentication', (ctx) => {
      if (opts.user !== undefined && ctx.username !== opts.user) return ctx.reject();
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      if (ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) return ctx.reject();
      if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), api));
        session.on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          const before = new Set(children);
          serveExec(ch, info.command, children, api);
          for (const c of children) if (!before.has(c)) mine.add(c);
        });
      });
    });
    client.on('error', () => undefined);
    client.on('close', () => {
      conns.delete(client);
      // sshd hangs up the session's processes when the connection goes.
      for (const c of mine) if (children.has(c)) killTree(c);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  api.port = (server.address() as { port: number }).port;
  fs.writeFileSync(api.knownHostsFile, `[127.0.0.1]:${api.port} ${hostPub.type} ${hostKeyBlob.toString('base64')}\n`);
  return api;
}

function killTree(c: ChildProcess): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, 'SIGHUP');
  } catch {
    // gone
  }
}

/** The real OpenSSH server started by .ci/sshd-test.sh, if any. */
export interface RealSshd {
  host: string;
  port: number;
  user: string;
  identity: string;
  knownHosts: string;
  /** A scratch directory the test may use (on the same machine). */
  dir: string;
}

export function realSshd(): RealSshd | undefined {
  const raw = process.env.RINGSHIFT_SSHD_TEST;
  if (raw === undefined || raw === '') return undefined;
  return JSON.parse(raw) as RealSshd;
}
