// Child processes of the carbon test harness (carbon-cache, carbon-relay, carbon-c-relay) that never
// outlive the test run: each is started through /usr/bin/python3 which sets PR_SET_PDEATHSIG(SIGKILL)
// and execs the program (same pid), so the kernel kills it when the vitest worker dies, even by
// SIGKILL; an 'exit' hook kills the rest on a normal exit. Output goes to a log file (not a pipe: a
// chatty daemon never blocks on a full pipe) that messages quote on failure. stop() is SIGTERM, then
// SIGKILL after a timeout; every wait has a timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** The interpreter of the Debian packages (the first python3 on PATH may be a build without them). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

// prctl(PR_SET_PDEATHSIG = 1, SIGKILL = 9), then exec argv[1:]: the death signal survives execve.
const PDEATHSIG_EXEC = 'import ctypes,os,sys\nctypes.CDLL(None).prctl(1, 9)\nos.execv(sys.argv[1], sys.argv[1:])';

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Shown in messages ("carbon-cache c1"). */
  name: string;
  /** Absolute path of the program. */
  command: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logPath: string;
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
}

export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  readonly pid: number;
  readonly startedAt = Date.now();
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private readonly child: ChildProcess;

  constructor(opts: StartOptions) {
    this.name = opts.name;
    this.logPath = opts.logPath;
    const fd = fs.openSync(opts.logPath, 'a');
    const viaPython = fs.existsSync(SYSTEM_PYTHON);
    const [cmd, args] = viaPython ? [SYSTEM_PYTHON, ['-c', PDEATHSIG_EXEC, opts.command, ...opts.args]] : [opts.command, opts.args];
    try {
      this.child = spawn(cmd, args, {
        stdio: ['ignore', fd, fd],
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        detached: false,
      });
    } finally {
      fs.closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`${this.name}: could not start ${opts.command}`);
    this.pid = this.child.pid;
    installExitHook();
    live.add(this);
    this.exited = new Promise<ExitStatus>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.status = { code, signal };
        live.delete(this);
        resolve(this.status);
      };
      this.child.once('exit', done);
      this.child.once('error', () => done(null, null));
    });
  }

  get running(): boolean {
    return this.status === undefined;
  }

  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** The last `lines` lines of the log. */
  logTail(lines = 30): string {
    let text: string;
    try {
      text = fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '(no log)';
    }
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  }

  /** The log from byte `offset` on. */
  logFrom(offset: number): string {
    try {
      const fd = fs.openSync(this.logPath, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size <= offset) return '';
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        return buf.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return '';
    }
  }

  logSize(): number {
    try {
      return fs.statSync(this.logPath).size;
    } catch {
      return 0;
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited in between
    }
  }

  /** SIGTERM, then SIGKILL when it has not exited after `graceMs`. Resolves once it has exited. */
  async stop(graceMs = 10_000): Promise<ExitStatus> {
    if (!this.running) return this.status!;
    this.signal('SIGTERM');
    if (await exitsWithin(this, graceMs)) return this.status!;
    this.signal('SIGKILL');
    if (await exitsWithin(this, 5_000)) return this.status!;
    throw new Error(`${this.name} (pid ${this.pid}) did not exit 5 s after SIGKILL`);
  }

  /** kill -9 now (a crash), and wait for the exit. */
  async kill9(): Promise<ExitStatus> {
    this.signal('SIGKILL');
    if (await exitsWithin(this, 5_000)) return this.status ?? { code: null, signal: 'SIGKILL' };
    throw new Error(`${this.name} (pid ${this.pid}) did not exit 5 s after SIGKILL`);
  }
}

async function exitsWithin(p: ManagedProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const ok = await Promise.race([p.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return ok;
}

/** A free TCP port on `host` (the kernel picks; the caller retries on the rare race with another process). */
export async function freePort(host: string): Promise<number> {
  const net = await import('node:net');
  return new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts a TCP connection on host:port within `ms`. */
export async function canConnect(host: string, port: number, ms = 1_000): Promise<boolean> {
  const net = await import('node:net');
  return new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` every `everyMs` until it returns a value other than undefined; throw `message()` after
 * `timeoutMs` (the message is built then, so it can quote a log).
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  message: () => string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(message());
    await sleep(everyMs);
  }
}
