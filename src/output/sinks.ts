// Buffered line output with back-pressure, so millions of lines cost one write per 64 KiB and a
// closed pipe (`| head`) ends the program quietly instead of with a stack trace.
import type { Writable } from 'node:stream';

export class LineSink {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly out: Writable = process.stdout,
    private readonly highWater = 1 << 16,
  ) {}

  /** Queue one line (without its newline). Returns true when the caller should `await flush()`. */
  push(line: string): boolean {
    this.parts.push(line);
    this.size += line.length + 1;
    return this.size >= this.highWater;
  }

  /** Write what is queued; resolves once the stream can take more. */
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    // A trailing empty part gives the final newline: one flat string, no second concatenation copy.
    this.parts.push('');
    const text = this.parts.join('\n');
    this.parts = [];
    this.size = 0;
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
  }
}

/**
 * Byte output for the byte-level hot paths: callers fill `buf` from `pos` themselves (no call per
 * line) and call `flush` when the next line might not fit. A written buffer is reused only after the
 * stream's write callback says it is done with it (else a fresh one is allocated), so asynchronous
 * streams are safe and synchronous ones (files, /dev/null) do not churn through allocations.
 */
export class ByteSink {
  buf: Buffer;
  pos = 0;
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly out: Writable = process.stdout,
    /** Size of the buffers (a line longer than this gets a buffer of its own). */
    readonly size = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Write what is queued and make room for at least `need` bytes; resolves once the stream can take more. */
  async flush(need = 0): Promise<void> {
    if (this.pos === 0) {
      if (this.buf.length < need) this.buf = Buffer.allocUnsafe(need);
      return;
    }
    const full = this.buf;
    const ok = this.out.write(full.subarray(0, this.pos), () => {
      if (full.length === this.size && this.spare.length < 4) this.spare.push(full);
    });
    this.buf = need <= this.size ? (this.spare.pop() ?? Buffer.allocUnsafe(this.size)) : Buffer.allocUnsafe(need);
    this.pos = 0;
    if (!ok) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }
}

let epipeHandled = false;
/** Exit quietly when stdout's reader goes away (e.g. piped into `head`). */
export function exitQuietlyOnEpipe(): void {
  if (epipeHandled) return;
  epipeHandled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
