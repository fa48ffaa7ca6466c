// Progress for long name streams: a count on stderr, only when stderr is a terminal (never in pipes,
// logs or CI output), rewritten in place at most a few times a second.

/** Pass batches through, reporting the running name count to `report` every `everyMs`. */
export async function* withProgress<T extends readonly unknown[]>(
  batches: AsyncIterable<T>,
  report: ((names: number, done: boolean) => void) | undefined,
  everyMs = 250,
): AsyncGenerator<T> {
  if (!report) {
    yield* batches;
    return;
  }
  let names = 0;
  let last = Date.now();
  for await (const batch of batches) {
    names += batch.length;
    const now = Date.now();
    if (now - last >= everyMs) {
      last = now;
      report(names, false);
    }
    yield batch;
  }
  report(names, true);
}

/** A reporter writing "label: N names" to stderr when it is a TTY; undefined otherwise. */
export function stderrProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ((n: number, done: boolean) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const start = Date.now();
  return (n, done) => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? ` (${Math.round(n / secs).toLocaleString('en-US')}/s)` : '';
    stream.write(`\r${label}: ${n.toLocaleString('en-US')} names${rate}\u001b[K${done ? '\n' : ''}`);
  };
}

/** For commands that stream to stdout: progress on stderr only when stdout is not the same terminal. */
export function progressWhileRedirected(label: string): ((n: number, done: boolean) => void) | undefined {
  return process.stdout.isTTY ? undefined : stderrProgress(label);
}
