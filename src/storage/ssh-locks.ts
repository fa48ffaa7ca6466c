// flock(2) on whisper files of a storage node, the lock carbon-cache takes with WHISPER_LOCK_WRITES,
// held by a long-lived remote shell of its own (ssh-remote-shell.ts): `exec N<FILE` opens the file on
// a descriptor of that shell, `flock -n N` locks it, and the lock stays while the shell keeps the
// descriptor; `exec N<&-` lets it go. No channel per lock (channels are a budget: a lock that held one
// while waiting for another was a deadlock), and the lock dies with the shell when the connection goes.
//
// Locks are tried without blocking and retried with a short backoff until the timeout: the shell
// never sleeps in flock, so releasing one lock is never queued behind waiting for another (the
// carbon-cache writer is blocked only while a fill writes). A shell holds at most seven locks
// (descriptors 3-9); more callers wait for a slot before they try, holding nothing meanwhile.
import type { RemoteShell } from './ssh-remote-shell.js';
import { shq, SshError, type SshConnection } from './ssh-session.js';

/** A held remote flock. */
export interface RemoteLock {
  release(): Promise<void>;
  /** False once the shell that held it is gone (the connection dropped): the lock is no longer held. */
  held(): boolean;
  /** "dev:ino" of the file locked (the one at the path when the lock was taken). */
  readonly file: string;
}

const FDS = [3, 4, 5, 6, 7, 8, 9];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RemoteLocker {
  private readonly free = [...FDS];
  private readonly waiters: { wake: () => void }[] = [];

  constructor(
    private readonly conn: SshConnection,
    private readonly shell: RemoteShell,
  ) {}

  private async takeFd(deadline: number, abs: string): Promise<number> {
    while (this.free.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new SshError(`${this.conn.where()}:${abs} not locked: ${FDS.length} other locks held there for the whole timeout`, 'ELOCKED');
      await new Promise<void>((resolve) => {
        const w = { wake: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }, left);
        this.waiters.push(w);
      });
    }
    return this.free.shift()!;
  }

  private putFd(fd: number): void {
    this.free.push(fd);
    this.waiters.shift()?.wake();
  }

  /**
   * Lock an existing regular file (nothing is created) and make sure the locked file is still the one
   * at the path (a file replaced while we waited is locked again). ELOCKED after `timeoutMs`.
   */
  async lock(abs: string, mode: 'ex' | 'sh', timeoutMs: number): Promise<RemoteLock> {
    const deadline = performance.now() + timeoutMs;
    const fd = await this.takeFd(deadline, abs);
    const q = shq(abs);
    const script =
      `if [ ! -e ${q} ]; then echo missing; elif [ ! -f ${q} ]; then echo notfile; ` +
      `elif command exec ${fd}<${q}; then ` +
      `if flock -n -${mode === 'ex' ? 'x' : 's'} ${fd}; then ` +
      `id=$(stat -L -c %d:%i /dev/fd/${fd}); if [ "$id" = "$(stat -L -c %d:%i -- ${q} 2>/dev/null)" ]; then echo "locked $id"; ` +
      `else exec ${fd}<&-; echo replaced; fi; ` +
      `else s=$?; exec ${fd}<&-; if [ "$s" = 1 ]; then echo busy; else echo "noflock $s"; fi; fi; ` +
      `else echo unreadable; fi`;
    try {
      let delay = 5;
      let replaced = 0;
      for (;;) {
        const g = await this.shell.ensure();
        const r = await this.shell.run(script, { what: 'lock' });
        const word = r.out.trim().split('\n').pop() ?? '';
        const locked = /^locked ([0-9]+:[0-9]+)$/.exec(word);
        if (locked !== null) return this.handle(g, fd, locked[1]!);
        if (word === 'busy') {
          const left = deadline - performance.now();
          if (left <= 0)
            throw new SshError(
              `${this.conn.where()}:${abs} still locked after ${Math.round(timeoutMs / 1000)} s (carbon-cache or another fill?)`,
              'ELOCKED',
            );
          await sleep(Math.min(delay, left));
          delay = Math.min(100, delay * 2);
          continue;
        }
        if (word === 'replaced' && replaced++ < 3) continue;
        if (word === 'missing') throw new SshError(`cannot lock ${this.conn.where()}:${abs}: no such file`, 'ENOENT');
        if (word === 'notfile') throw new SshError(`cannot lock ${this.conn.where()}:${abs}: not a regular file`, 'EINVAL');
        if (word.startsWith('noflock'))
          throw new SshError(
            `flock(1) is not usable on ${this.conn.where()} (util-linux; ${word}): cannot lock whisper files there`,
            'ENOTSUP',
          );
        throw new SshError(`cannot lock ${this.conn.where()}:${abs}: ${r.out.trim() || word}`, 'EACCES');
      }
    } catch (err) {
      this.putFd(fd);
      throw err;
    }
  }

  private handle(g: number, fd: number, file: string): RemoteLock {
    let released = false;
    return {
      file,
      held: () => !released && this.shell.alive(g),
      release: async () => {
        if (released) return;
        released = true;
        try {
          await this.shell.runOn(g, `exec ${fd}<&-`, 30_000);
        } catch {
          // the shell is gone, and the lock with it
        } finally {
          this.putFd(fd);
        }
      },
    };
  }
}
