// Writing a plan file: NDJSON into a temp file beside the target, fsynced, then renamed into place,
// so a plan is either complete (header … footer) or absent — never half-written.
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { PlanAction, PlanFooter, PlanHeader, PlanSkip } from './plan-file.js';
import { fsyncDirSync } from '../fs-durable.js';

const FLUSH_CHARS = 1 << 16;

export class PlanWriter {
  private buf = '';
  private actions = 0;
  private skips = 0;
  private bytes = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private fd: number,
  ) {}

  /** Open a temp file next to `path` and write the header. */
  static open(path: string, header: PlanHeader): PlanWriter {
    const target = resolve(path);
    const dir = dirname(target);
    if (!fs.existsSync(dir))
      throw new UsageError(`cannot write the plan: directory ${dir} does not exist`, { file: path, expected: 'an existing directory' });
    if (fs.existsSync(target) && fs.statSync(target).isDirectory())
      throw new UsageError(`${path} is a directory`, { expected: 'a plan file path' });
    const tmp = join(dir, `.${basename(target)}.ringshift-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
    let fd: number;
    try {
      fd = fs.openSync(tmp, 'wx', 0o644);
    } catch (e) {
      throw new UsageError(`cannot write the plan: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
    }
    const w = new PlanWriter(target, tmp, fd);
    w.line(header);
    return w;
  }

  action(a: PlanAction): void {
    this.actions++;
    if (a.op !== 'delete') this.bytes += a.source.size;
    this.line(a);
  }

  skip(s: PlanSkip): void {
    this.skips++;
    this.line(s);
  }

  /** Write the footer, fsync, rename into place and fsync the directory. */
  commit(): PlanFooter {
    const footer: PlanFooter = { type: 'footer', actions: this.actions, skips: this.skips, bytes: this.bytes };
    this.line(footer);
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    fs.renameSync(this.tmp, this.path);
    fsyncDirSync(dirname(this.path));
    return footer;
  }

  /** Drop the temp file (refused or failed plans leave nothing behind). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmp, { force: true });
  }

  private line(rec: unknown): void {
    this.buf += JSON.stringify(rec) + '\n';
    if (this.buf.length >= FLUSH_CHARS) this.flush();
  }

  private flush(): void {
    if (this.buf === '') return;
    const data = Buffer.from(this.buf, 'utf8');
    this.buf = '';
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
  }
}
