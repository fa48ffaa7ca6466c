// Fast streaming line input: names arrive in batches so per-line cost stays a few nanoseconds and
// memory stays bounded whatever the input size.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';

/**
 * Yield the lines of a stream in batches. Lines end at '\n'; one trailing '\r' is removed (files
 * written on Windows). The last line is yielded even without a final newline; empty input yields nothing.
 */
export async function* lineBatches(stream: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    const batch: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      batch.push(stripCr(text.slice(start, nl)));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.length > 0) yield batch;
  }
  carry += decoder.end();
  if (carry !== '') yield [stripCr(carry)];
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

export interface NameSource {
  /** Names given as command arguments. */
  args?: readonly string[];
  /** A file of names, one a line; '-' is stdin. */
  file?: string;
  /** Used when neither args nor file is given. */
  stdin?: Readable;
}

/** Names from arguments, a file, or stdin (in that order of preference), as batches. */
export async function* nameBatches(src: NameSource): AsyncGenerator<string[]> {
  if (src.args && src.args.length > 0) {
    if (src.file !== undefined) throw new UsageError('give metric names as arguments or with --file, not both');
    yield [...src.args];
    return;
  }
  if (src.file !== undefined && src.file !== '-') {
    const stream = createReadStream(src.file, { highWaterMark: 1 << 20 });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) =>
        reject(new UsageError(`cannot read names: ${err.code ?? err.message}`, { file: src.file })),
      );
    });
    await opened;
    yield* lineBatches(stream);
    return;
  }
  const stdin = src.stdin ?? process.stdin;
  if (src.file === undefined && (stdin as NodeJS.ReadStream).isTTY) {
    throw new UsageError('no metric names: give them as arguments, with --file FILE, or on stdin');
  }
  yield* lineBatches(stdin);
}
