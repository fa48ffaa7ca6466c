// syncfs(2) of one local filesystem, for the local driver's group-commit rounds: one call makes every
// file and directory written there durable, cheaper than hundreds of fsyncs (as `cp -r; sync` does).
// Node has no syncfs, so coreutils' `sync -f` makes the call; spawning it from Node for every round
// costs the event loop ~4 ms of CPU a round, so one long-lived shell per root runs it instead: a
// request is one newline on its stdin, the answer one line ("ok" or "fail"). The root reaches the
// shell as an argument, never through the pipe, so no path is ever quoted or parsed. Any doubt (the
// shell died, answered "fail", or took longer than the timeout) falls back to running `sync -f` once
// more directly, whose error is reported; without `sync -f` (busybox) a plain sync(2) is the last resort.
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

const TIMEOUT_MS = 600_000;

/** The shell's loop: answer each request line with the outcome of one syncfs of "$1". */
const LOOP = 'while IFS= read -r _; do if sync -f -- "$1" 2>/dev/null; then echo ok; else echo fail; fi; done';

export class FilesystemSync {
  private shell: ChildProcessByStdio<Writable, Readable, null> | null = null;
  private broken = false;
  private waiting: ((line: string | null) => void)[] = [];
  private partial = '';
  /** syncfs calls made (tests and benches). */
  calls = 0;

  constructor(private readonly dir: string) {}

  /** Make everything written on the filesystem holding the directory durable. */
  async sync(): Promise<void> {
    this.calls++;
    const answer = this.broken ? null : await this.ask();
    if (answer === 'ok') return;
    await syncFilesystemOnce(this.dir);
  }

  /** One request to the shell: its answer line, or null when the shell cannot be used. */
  private ask(): Promise<string | null> {
    const sh = this.shell ?? this.start();
    if (sh === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.fail();
        resolve(null);
      }, TIMEOUT_MS);
      timer.unref();
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      (sh.stdout as Socket).ref();
      sh.stdin.write('\n');
    });
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> | null {
    let sh: ChildProcessByStdio<Writable, Readable, null>;
    try {
      sh = spawn('/bin/sh', ['-c', LOOP, 'ringshift-syncfs', this.dir], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      this.broken = true;
      return null;
    }
    sh.on('error', () => this.fail());
    sh.on('exit', () => this.fail());
    sh.stdin.on('error', () => this.fail());
    sh.stdout.setEncoding('utf8');
    sh.stdout.on('data', (chunk: string) => {
      this.partial += chunk;
      for (let nl = this.partial.indexOf('\n'); nl >= 0; nl = this.partial.indexOf('\n')) {
        const line = this.partial.slice(0, nl);
        this.partial = this.partial.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
      if (this.waiting.length === 0) (sh.stdout as Socket).unref();
    });
    // An idle helper never keeps the process alive.
    sh.unref();
    (sh.stdout as Socket).unref();
    this.shell = sh;
    return sh;
  }

  /** The shell is gone or stuck: answer every waiter "unknown" and stop using it. */
  private fail(): void {
    this.broken = true;
    const sh = this.shell;
    this.shell = null;
    if (sh !== null && sh.exitCode === null) sh.kill('SIGKILL');
    for (const w of this.waiting.splice(0)) w(null);
  }

  close(): void {
    const sh = this.shell;
    this.shell = null;
    this.broken = true;
    if (sh !== null) {
      sh.removeAllListeners('exit');
      sh.stdin.end();
    }
    for (const w of this.waiting.splice(0)) w(null);
  }
}

/**
 * One syncfs of the filesystem holding `dir` through a `sync -f` process of its own; a failure is
 * reported with sync's message. Without `sync -f`: a plain sync.
 */
export function syncFilesystemOnce(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', '--', dir], { timeout: TIMEOUT_MS }, (err) => {
      if (err === null) return resolve();
      execFile('sync', [], { timeout: TIMEOUT_MS }, (err2) =>
        err2 === null ? resolve() : reject(new Error(`sync -f ${dir} failed: ${err.message.trim()}`)),
      );
    });
  });
}
