// Loopback OpenSSH servers for the apply-over-ssh bench and the real-sshd tests: each one a separate
// sshd (its own host key, so two of them are two "nodes" to the driver) on a free high port, run as
// the current user with throwaway keys, optionally with a small MaxSessions or a slow login (a forced
// command that sleeps before every session, as a node user's .bashrc that runs pyenv init does, and
// logs each session so a test can count them). Nothing outside its scratch directory is touched;
// stop() ends the processes it started, by pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface LoopbackSshd {
  host: string;
  port: number;
  user: string;
  /** Private key the server accepts. */
  identity: string;
  /** known_hosts file with this server's host key. */
  knownHosts: string;
  /** Scratch directory of this server (config, keys, logs). */
  dir: string;
  /** One line per session (SFTP or command) when started with a slow login; else null. */
  sessionsLog: string | null;
  url(path: string): string;
  /** Kill sshd and every process it started (connections, sessions) with SIGKILL: "sshd died". */
  killAll(): void;
  /** Start it again on the same port (after killAll). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface LoopbackOptions {
  /** Scratch directory (created). */
  dir: string;
  /** Use this user key pair (path of the private key; `.pub` beside it) instead of making one. */
  identity?: string;
  maxSessions?: number;
  /** Sleep this long before every session (0: no forced command). */
  slowLoginSeconds?: number;
}

export function findSshd(): string | null {
  for (const p of ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/sbin/sshd']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v sshd'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function findSftpServer(): string | null {
  for (const p of [
    '/usr/lib/openssh/sftp-server',
    '/usr/libexec/openssh/sftp-server',
    '/usr/libexec/sftp-server',
    '/usr/lib/ssh/sftp-server',
  ])
    if (fs.existsSync(p)) return p;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => (c.destroy(), resolve(true)));
    c.on('error', () => resolve(false));
  });
}

/** Every descendant of `pid` (by /proc ppid links), deepest first. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      walk(c);
      out.push(c);
    }
  };
  walk(pid);
  return out;
}

export async function startLoopbackSshd(o: LoopbackOptions): Promise<LoopbackSshd> {
  const sshd = findSshd();
  if (sshd === null) throw new Error('no sshd on this machine (openssh-server)');
  fs.mkdirSync(o.dir, { recursive: true });
  fs.chmodSync(o.dir, 0o755);
  const dir = fs.realpathSync(o.dir);
  const user = userInfo().username;
  const key = (name: string, comment: string) => {
    const f = join(dir, name);
    if (!fs.existsSync(f)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', f], { stdio: 'ignore' });
    fs.chmodSync(f, 0o600);
    return f;
  };
  const hostKey = key('host_ed25519', 'ringshift-loopback-host');
  const identity = o.identity ?? key('id_ed25519', 'ringshift-loopback-user');
  const pub = fs.readFileSync(identity + '.pub', 'utf8').trim();
  let sessionsLog: string | null = null;
  let authLine = pub;
  if ((o.slowLoginSeconds ?? 0) > 0) {
    const sftp = findSftpServer();
    if (sftp === null) throw new Error('no sftp-server binary for the slow-login forced command');
    sessionsLog = join(dir, 'sessions.log');
    fs.writeFileSync(sessionsLog, '');
    const wrapper = join(dir, 'slow-login.sh');
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\n# A login that costs ${o.slowLoginSeconds} s, like a .bashrc running pyenv init.\nsleep ${o.slowLoginSeconds}\n` +
        `printf '%.60s\\n' "$SSH_ORIGINAL_COMMAND" >> '${sessionsLog}'\n` +
        `case "$SSH_ORIGINAL_COMMAND" in\n  internal-sftp|*sftp-server) exec '${sftp}' ;;\n  *) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND" ;;\nesac\n`,
      { mode: 0o755 },
    );
    authLine = `command="${wrapper}" ${pub}`;
  }
  fs.writeFileSync(join(dir, 'authorized_keys'), authLine + '\n', { mode: 0o600 });
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | null = null;
  let port = 0;
  const api: LoopbackSshd = {
    host: '127.0.0.1',
    port: 0,
    user,
    identity,
    knownHosts: join(dir, 'known_hosts'),
    dir,
    sessionsLog,
    url: (path) => `ssh://${user}@127.0.0.1:${api.port}${path}`,
    killAll: () => {
      if (child?.pid === undefined) return;
      for (const p of descendants(child.pid)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      child.kill('SIGKILL');
      child = null;
    },
    restart: async () => {
      await launch(port);
    },
    stop: async () => {
      api.killAll();
    },
  };

  const launch = async (want: number): Promise<void> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      port = want !== 0 ? want : await freePort();
      const cfg = join(dir, 'sshd_config');
      fs.writeFileSync(
        cfg,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          `AllowUsers ${user}`,
          'UsePAM no',
          'StrictModes no',
          'Subsystem sftp internal-sftp',
          ...(o.maxSessions !== undefined ? [`MaxSessions ${o.maxSessions}`] : []),
          'LogLevel ERROR',
          '',
        ].join('\n'),
      );
      const c = spawn(sshd, ['-D', '-f', cfg, '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
      child = c;
      for (let i = 0; i < 100; i++) {
        if (c.exitCode !== null) break;
        if (await answers(port)) {
          api.port = port;
          const hostPub = fs
            .readFileSync(hostKey + '.pub', 'utf8')
            .trim()
            .split(/\s+/);
          fs.writeFileSync(api.knownHosts, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      c.kill('SIGKILL');
      if (want !== 0) await new Promise((r) => setTimeout(r, 200));
    }
    const log = fs.existsSync(join(dir, 'sshd.log')) ? fs.readFileSync(join(dir, 'sshd.log'), 'utf8').trim() : '';
    throw new Error(`sshd did not start on 127.0.0.1 (${log || 'no log'})`);
  };
  await launch(0);
  return api;
}
