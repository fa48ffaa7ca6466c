// The journal of a destructive toolbox command (delete, rename's cleanup, restore): one NDJSON file on
// the machine running ringshift, created fresh (never appended to someone else's), every record
// written and fdatasynced before the step it announces is taken. After a crash it says what was about
// to happen ("delete" without "deleted": that file may or may not be gone) and never claims a step
// that was not done. Records go out in groups: one write + fdatasync per group of intents.
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { nowIso } from '../clock.js';
import { UsageError } from '../errors.js';
import { fsyncDirSync } from '../fs-durable.js';

export class ToolboxJournal {
  private constructor(
    readonly path: string,
    private fd: number | null,
  ) {}

  /** Create the journal (refusing an existing file) and write its opening record. */
  static create(path: string, command: string, details: Record<string, unknown>): ToolboxJournal {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx', 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`--journal ${path}: ${code === 'EEXIST' ? 'already exists' : (err as Error).message}`, {
        expected: 'a new file (a journal is never appended to)',
      });
    }
    const j = new ToolboxJournal(resolve(path), fd);
    j.append([{ t: 'open', command, ...details, pid: process.pid, host: hostname(), at: nowIso() }]);
    fsyncDirSync(dirname(j.path));
    return j;
  }

  /** Write records (one line each) and fdatasync them before returning. */
  append(records: readonly Record<string, unknown>[]): void {
    if (this.fd === null || records.length === 0) return;
    fs.writeSync(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
    fs.fdatasyncSync(this.fd);
  }

  close(last?: Record<string, unknown>): void {
    if (this.fd === null) return;
    if (last !== undefined) this.append([{ ...last, at: nowIso() }]);
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** The default journal file name of a command run: `ringshift-<command>-<UTC time>-<pid>.journal`. */
export function defaultJournalName(command: string): string {
  const stamp = nowIso().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `ringshift-${command}-${stamp}-${process.pid}.journal`;
}
