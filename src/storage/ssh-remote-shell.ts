// A long-lived POSIX shell on a storage node, over ONE exec channel, for what SFTP cannot do: stat
// with inode numbers, flock, sync -f, sha256sum, date. Starting a command through sshd costs a channel
// and a run of the user's login shell with its startup files (a slow .bashrc costs every time), so
// the driver starts `sh` once per role and feeds it commands on stdin; each answer ends with a marker
// line carrying a per-shell random token and the exit status. Requests are pipelined (written without
// waiting) and answered in order.
//
// Nothing a command prints is ever parsed for a file name: commands print fixed words, numbers and
// hashes (sha256sum reads the file on stdin, so it prints "-", never a name with `\` or a newline).
// Every command runs with stdin from /dev/null (or a file), so none can eat the command stream, and
// with stderr folded into its answer. A shell that dies, or a request that gets no answer in time,
// fails every pending request with one message; the next request starts a new shell. Descriptors the
// shell holds (flocks) die with it, and so does everything it holds when the connection goes.
import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { SshError, type Live, type SshConnection } from './ssh-session.js';

export interface ShellAnswer {
  status: number;
  out: string;
}

interface Pending {
  resolve: (a: ShellAnswer) => void;
  reject: (e: Error) => void;
  /** performance.now() deadline */
  deadline: number;
  what: string;
}

const RS = '\x1e';

/** One running `sh` on the node. */
class ShellProcess {
  readonly token = randomBytes(8).toString('hex');
  private buf = '';
  private queue: Pending[] = [];
  private stderr = '';
  dead: Error | null = null;
  /** Answers to skip: the start-up probe's (anything the login shell's startup files printed). */
  private readonly timer: NodeJS.Timeout;
  private removeLoss: () => void = () => undefined;

  private constructor(
    private readonly conn: SshConnection,
    private readonly live: Live,
    private readonly ch: ClientChannel,
    readonly role: string,
  ) {
    this.timer = setInterval(() => this.checkDeadlines(), 1000);
    this.timer.unref();
  }

  static async start(conn: SshConnection, role: string): Promise<ShellProcess> {
    let proc: ShellProcess | null = null;
    const early: Buffer[] = [];
    const live = await conn.ready();
    const ch = await conn.openChannel(
      (client, cb) => client.exec('exec env LC_ALL=C /bin/sh', cb),
      (c) => {
        c.on('data', (b: Buffer) => (proc === null ? early.push(b) : proc.onData(b)));
        c.stderr.on('data', (b: Buffer) => proc?.onStderr(b));
        c.on('close', () => proc?.onClose());
        c.on('error', () => proc?.onClose());
      },
      true,
    );
    proc = new ShellProcess(conn, live, ch, role);
    proc.removeLoss = conn.onLoss(live, (e) => proc!.fail(e));
    for (const b of early) proc.onData(b);
    // The first answer tells us the shell runs; whatever came before it (startup files that print) is skipped.
    await proc.run(':', 60_000, 'start a shell on');
    return proc;
  }

  run(script: string, timeoutMs: number, what: string): Promise<ShellAnswer> {
    if (this.dead !== null) return Promise.reject(this.dead);
    return new Promise<ShellAnswer>((resolve, reject) => {
      this.queue.push({ resolve, reject, deadline: performance.now() + timeoutMs, what });
      // A group keeps `exec N<file` (a lock) in the shell; its own redirections are undone after it.
      this.ch.write(`{ ${script}\n} </dev/null 2>&1\nprintf '${RS}%s %d\\n' ${this.token} "$?"\n`);
    });
  }

  private onData(b: Buffer): void {
    this.conn.touch(this.live);
    this.buf += b.toString('latin1');
    for (;;) {
      const at = this.buf.indexOf(RS + this.token + ' ');
      if (at < 0) {
        // Keep memory bounded if a command prints without end (ours print little).
        if (this.buf.length > 64 << 20) this.fail(new SshError(`the remote shell on ${this.conn.where()} printed too much`, 'EIO'));
        return;
      }
      const nl = this.buf.indexOf('\n', at);
      if (nl < 0) return;
      const status = Number(this.buf.slice(at + 1 + this.token.length + 1, nl));
      let out = this.buf.slice(0, at);
      this.buf = this.buf.slice(nl + 1);
      const p = this.queue.shift();
      if (p === undefined) continue;
      out = Buffer.from(out, 'latin1').toString('utf8');
      p.resolve({ status, out });
    }
  }

  private onStderr(b: Buffer): void {
    if (this.stderr.length < 4096) this.stderr += b.toString('utf8');
  }

  private onClose(): void {
    const why = this.stderr.trim();
    this.fail(
      new SshError(
        `the remote shell on ${this.conn.where()} ended${why === '' ? '' : `: ${why.split('\n').slice(-2).join(' ')}`}`,
        this.live.closed ? 'ECONNRESET' : 'EIO',
      ),
    );
  }

  private checkDeadlines(): void {
    const p = this.queue[0];
    if (p === undefined || performance.now() < p.deadline) return;
    this.fail(new SshError(`${p.what} ${this.conn.where()}: no answer from the remote shell in time`, 'ETIMEDOUT'));
  }

  fail(e: Error): void {
    if (this.dead !== null) return;
    this.dead = this.live.closed ? this.conn.lostError(this.live) : e;
    clearInterval(this.timer);
    this.removeLoss();
    for (const p of this.queue.splice(0)) p.reject(this.dead);
    try {
      this.ch.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    if (this.dead !== null) return;
    try {
      this.ch.end('exit\n');
    } catch {
      // gone
    }
    this.fail(new SshError(`the remote shell on ${this.conn.where()} was closed`, 'ENOTCONN'));
  }
}

/**
 * A remote shell that restarts on demand. `generation` counts shells: what a shell held (a lock)
 * is gone when the generation moved on.
 */
export class RemoteShell {
  private proc: Promise<ShellProcess> | null = null;
  generation = 0;

  constructor(
    private readonly conn: SshConnection,
    readonly role: string,
  ) {}

  /** The running shell's generation (starting one if needed). */
  async ensure(): Promise<number> {
    await this.process();
    return this.generation;
  }

  private async process(): Promise<ShellProcess> {
    for (;;) {
      if (this.proc === null) {
        this.proc = ShellProcess.start(this.conn, this.role);
        this.generation++;
      }
      const p = this.proc;
      try {
        const s = await p;
        if (s.dead === null) return s;
      } catch (err) {
        if (this.proc === p) this.proc = null;
        throw err;
      }
      if (this.proc === p) this.proc = null; // it died: start another
    }
  }

  /** Is the shell of generation `g` still the running one? */
  alive(g: number): boolean {
    return this.generation === g && this.proc !== null;
  }

  /** Run a script (a fragment of sh; quote every argument with shq). */
  async run(script: string, opts: { timeoutMs?: number; what?: string } = {}): Promise<ShellAnswer> {
    const s = await this.process();
    return s.run(script, opts.timeoutMs ?? this.conn.opTimeoutMs, opts.what ?? 'run a command on');
  }

  /** Run on the shell of generation `g` only (a lock's release); false when that shell is gone. */
  async runOn(g: number, script: string, timeoutMs: number): Promise<ShellAnswer | null> {
    if (this.generation !== g || this.proc === null) return null;
    const s = await this.proc.catch(() => null);
    if (s === null || s.dead !== null) return null;
    return s.run(script, timeoutMs, 'release a lock on');
  }

  async close(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p === null) return;
    const s = await p.catch(() => null);
    s?.close();
  }
}
