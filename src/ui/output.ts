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
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    this.size = 0;
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
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

/** Pad columns for aligned human output. */
export function alignColumns(rows: readonly (readonly string[])[], sep = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join(sep)
      .trimEnd(),
  );
}
