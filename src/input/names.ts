// Fast streaming line input: names arrive in batches so per-line cost stays a few nanoseconds and
// memory stays bounded whatever the input size.
import { open, type FileHandle } from 'node:fs/promises';
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

/**
 * Bytes read from a names file at a time: what a pipe delivers. Each chunk becomes one string and a
 * batch of names sliced from it; at 64 KiB they die young (cheap scavenges), where 1 MiB chunks became
 * large objects that only full collections free — `ring diff -f` over 10M names peaked 40–140 MB above
 * the same names on stdin.
 */
const NAME_CHUNK = 64 * 1024;

export interface NameSource {
  /** Names given as command arguments. */
  args?: readonly string[] | undefined;
  /** A file of names, one a line; '-' is stdin. */
  file?: string | undefined;
  /** Used when neither args nor file is given. */
  stdin?: Readable | undefined;
}

/**
 * The stream behind a NameSource when names are not given as arguments: the opened --file, or stdin
 * ('-' or no file). Undefined when there are arguments. Errors are the ones nameBatches raises.
 */
export async function openNameStream(src: NameSource): Promise<Readable | undefined> {
  if (src.args && src.args.length > 0) {
    if (src.file !== undefined) throw new UsageError('give metric names as arguments or with --file, not both');
    return undefined;
  }
  if (src.file !== undefined && src.file !== '-') {
    const fh = await openNamesFile(src.file);
    return fh.createReadStream({ highWaterMark: NAME_CHUNK });
  }
  const stdin = src.stdin ?? process.stdin;
  if (src.file === undefined && (stdin as NodeJS.ReadStream).isTTY) {
    throw new UsageError('no metric names: give them as arguments, with --file FILE, or on stdin');
  }
  return stdin;
}

/** A names-file error as a UsageError naming the file and the problem (exit 2). */
function namesFileError(file: string, err: unknown): UsageError {
  // The errno code says it (ENOENT, EACCES, EISDIR …); the message keeps the form scripts already match.
  const e = err as NodeJS.ErrnoException;
  return new UsageError(`cannot read names: ${e.code ?? e.message}`, { file });
}

/** Open a names file; a directory (which opens fine on Linux, then fails every read) is refused here. */
async function openNamesFile(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw namesFileError(file, err);
  }
  try {
    if ((await fh.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    await fh.close();
    throw namesFileError(file, err);
  }
  return fh;
}

/** Names from arguments, a file, or stdin (in that order of preference), as batches. */
export async function* nameBatches(src: NameSource): AsyncGenerator<string[]> {
  const stream = await openNameStream(src);
  if (stream === undefined) {
    yield [...src.args!];
    return;
  }
  const file = src.file !== undefined && src.file !== '-' ? src.file : undefined;
  if (file === undefined) {
    yield* lineBatches(stream);
    return;
  }
  // A read that fails part-way (EIO, a file that is no file) is a usage error about that file too.
  const lines = lineBatches(stream);
  try {
    for (;;) {
      let r: IteratorResult<string[]>;
      try {
        r = await lines.next();
      } catch (err) {
        throw err instanceof UsageError ? err : namesFileError(file, err);
      }
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    // A consumer that stops early: close the file.
    await lines.return(undefined);
  }
}

/**
 * The names of a NameSource as raw byte chunks, for byte-level readers: a --file is read into one
 * reused buffer (a chunk is valid only until the next one is requested), stdin as its stream.
 * Undefined when names are given as arguments. Errors are the ones nameBatches raises.
 */
export async function openNameBytes(src: NameSource, chunkSize = 1 << 20): Promise<AsyncIterable<Buffer> | undefined> {
  if (src.file !== undefined && src.file !== '-' && !(src.args && src.args.length > 0)) {
    return fileChunks(await openNamesFile(src.file), chunkSize, src.file);
  }
  return (await openNameStream(src)) as AsyncIterable<Buffer> | undefined;
}

/** Read ahead: the next chunk is read (into the other buffer) while the consumer works on this one. */
async function* fileChunks(fh: FileHandle, size: number, file: string): AsyncGenerator<Buffer> {
  const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let k = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = fh.read(bufs[0]!, 0, size, null);
  try {
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await pending);
      } catch (err) {
        throw namesFileError(file, err);
      }
      pending = undefined;
      if (bytesRead === 0) return;
      const chunk = bufs[k]!.subarray(0, bytesRead);
      k ^= 1;
      pending = fh.read(bufs[k]!, 0, size, null);
      yield chunk;
    }
  } finally {
    await pending?.catch(() => undefined);
    await fh.close();
  }
}
