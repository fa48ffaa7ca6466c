// The byte path of `ring locate --json` and `ring sieve`: names are read as bytes and never become
// strings. A line made only of "plain" bytes (printable ASCII without '"' and '\', and without the
// bytes that would make the ring rewrite the name) is hashed straight from the input bytes, its
// owners come from the ring's 65536-entry position table, and the output line is the name's bytes
// between a constant head and a tail encoded once per owner list — all of it in a WebAssembly kernel
// (src/ring/wasm/locate-kernel.ts). Any other line — non-ASCII, invalid UTF-8, control characters,
// quotes, empty — is decoded and goes through the string path (ring.locate and the PlacementEncoder),
// so the output is byte for byte what the string path writes.
import type { Readable } from 'node:stream';
import { BuckyConsistentRing } from './bucky-ring.js';
import { CarbonConsistentRing } from './carbon-ring.js';
import { CrelayConsistentRing } from './crelay-ring.js';
import { md5Position16OfRange } from './hash/md5.js';
import { POSITIONS_16 } from './ring-support.js';
import type { Destination, Ring } from './types.js';
import { HASH_IN_JS, LocateKernel, OFF_PATH } from './wasm/locate-kernel.js';

/** Where the byte path writes (src/output's ByteSink has this shape): callers fill `buf` from `pos`, then flush. */
export interface ByteOutput {
  buf: Buffer;
  pos: number;
  readonly size: number;
  flush(need?: number): Promise<void>;
}

/** What the byte path needs from a ring. */
export interface ByteKeyspace {
  /** plain[b] === 1 when byte b may appear in a name that takes the byte path. */
  readonly plain: Uint8Array;
  /** The ring's distinct owner lists… */
  readonly lists: readonly (readonly Destination[])[];
  /** …and which one each of the 65536 positions has: what ring.locate returns for a plain name there. */
  readonly listAt: Int32Array;
  /** The ring's position function: carbon_ch's MD5 or fnv1a_ch's FNV-1a (plain bytes are ASCII, so c-relay's signed chars make no difference). */
  readonly hash: 'md5' | 'fnv';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The byte path for `ring`, or undefined when it has none. A ring qualifies when, for names made of
 * plain bytes, locate(name) is exactly { metric: name, owners: positionSpace.ownersAt(fn(name)) }:
 * carbon / graphite-web consistent rings, buckytools consistent rings, and carbon-c-relay consistent
 * rings without name cleansing. Space is never plain (c-relay cuts raw keys there); with carbon's tag
 * normalisation ';', '{' and '~' are not plain either (the only names it may rewrite contain them).
 */
export function byteKeyspace(ring: Ring): ByteKeyspace | undefined {
  const space = ring.positionSpace;
  if (space === undefined || space.size !== POSITIONS_16) return undefined;
  const plainRouting =
    ring instanceof CarbonConsistentRing ||
    ring instanceof BuckyConsistentRing ||
    (ring instanceof CrelayConsistentRing && !ring.spec.sanitize);
  if (!plainRouting) return undefined;
  const hash = space.fn === 'md5-16' ? 'md5' : space.fn === 'fnv1a32-16' || space.fn === 'fnv1a32-16-signed' ? 'fnv' : undefined;
  if (hash === undefined) return undefined;

  const plain = new Uint8Array(256);
  for (let b = 0x21; b <= 0x7e; b++) plain[b] = 1;
  plain[QUOTE] = 0;
  plain[BACKSLASH] = 0;
  if (ring.spec.tagRelayNormalized) for (const c of ';{~') plain[c.charCodeAt(0)] = 0;

  // Positions come in long runs with one owner list (the arcs between ring points).
  const lists: (readonly Destination[])[] = [];
  const index = new Map<readonly Destination[], number>();
  const listAt = new Int32Array(POSITIONS_16);
  let prev: readonly Destination[] | undefined;
  let k = -1;
  for (let p = 0; p < POSITIONS_16; p++) {
    const owners = space.ownersAt(p);
    if (owners !== prev) {
      prev = owners;
      let i = index.get(owners);
      if (i === undefined) {
        i = lists.length;
        lists.push(owners);
        index.set(owners, i);
      }
      k = i;
    }
    listAt[p] = k;
  }
  return { plain, lists, listAt, hash };
}

/** How lines are written: plain names as head + name + tail, other names through the string path. */
export interface ByteLineFormat {
  /** Bytes before a plain name. */
  readonly head: Uint8Array;
  /** Bytes after a plain name, newline included, for each owner list; null: the line is not written. */
  readonly tail: (owners: readonly Destination[]) => Uint8Array | null;
  /** The output line (no newline) for a name off the byte path, or null when it is not written. */
  readonly slow: (name: string) => string | null;
}

export interface ByteStreamResult {
  /** Lines read (names). */
  names: number;
  /** Lines written. */
  written: number;
  /** Names that went through the string path. */
  slow: number;
}

/**
 * Stream `input` (raw bytes, lines ending at '\n', one trailing '\r' removed, the last line written even
 * without a newline — exactly lineBatches' splitting) to `sink` in `format`. A chunk may be reused by
 * the input once the next one is requested (it is copied into the kernel's memory).
 */
export async function writeByteLines(
  input: AsyncIterable<Buffer | string>,
  ks: ByteKeyspace,
  format: ByteLineFormat,
  sink: ByteOutput,
  report?: (names: number, done: boolean) => void,
  reportEveryMs = 250,
): Promise<ByteStreamResult> {
  const w = new KernelWriter(ks, format, sink);
  let last = Date.now();
  for await (const piece of input) {
    // Streams of strings never reach here (callers check readableEncoding); convert defensively.
    await w.chunk(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece);
    if (report !== undefined) {
      const now = Date.now();
      if (now - last >= reportEveryMs) {
        last = now;
        report(w.names, false);
      }
    }
  }
  await w.finish();
  report?.(w.names, true);
  return { names: w.names, written: w.written, slow: w.slow };
}

/** Drives the kernel: input in, batches of lines, the lines it stops at, output out. */
class KernelWriter {
  names = 0;
  written = 0;
  slow = 0;
  private readonly k: LocateKernel;
  private readonly fnv: boolean;
  private readonly head: Uint8Array;
  /** Tail of each owner list (null: the line is not written), and each position's list. */
  private readonly tails: (Uint8Array | null)[];
  private readonly listAt: Int32Array;
  /** Bytes of a line begun in earlier chunks, at the start of the input area. */
  private carry = 0;
  /** Output offset in the kernel's memory. */
  private o: number;

  constructor(
    ks: ByteKeyspace,
    private readonly format: ByteLineFormat,
    private readonly sink: ByteOutput,
  ) {
    this.tails = ks.lists.map((owners) => format.tail(owners));
    this.listAt = ks.listAt;
    this.head = format.head;
    this.fnv = ks.hash === 'fnv';
    // The output area is as large as the sink's buffers: one flush copies it into one of them.
    this.k = new LocateKernel(ks.plain, format.head, this.tails, ks.listAt, sink.size);
    this.o = this.k.outStart;
  }

  /** Append a chunk to the carried partial line and process every complete line. */
  async chunk(chunk: Buffer): Promise<void> {
    const k = this.k;
    k.reserveInput(this.carry + chunk.length);
    k.u8.set(chunk, k.inStart + this.carry);
    const filled = this.carry + chunk.length;
    const lastNl = chunk.lastIndexOf(0x0a);
    if (lastNl < 0) {
      this.carry = filled;
      return;
    }
    const end = k.inStart + this.carry + lastNl + 1;
    await this.lines(k.inStart, end);
    // Keep the partial last line at the start of the input area.
    this.carry = k.inStart + filled - end;
    if (this.carry > 0) k.u8.copyWithin(k.inStart, end, end + this.carry);
  }

  /** The last line without a final newline, then everything still queued. */
  async finish(): Promise<void> {
    if (this.carry > 0) {
      const k = this.k;
      k.reserveInput(this.carry + 1);
      k.u8[k.inStart + this.carry] = 0x0a;
      await this.lines(k.inStart, k.inStart + this.carry + 1);
      this.carry = 0;
    }
    await this.flushOut();
    await this.sink.flush();
  }

  /** The complete lines [p, end) of the input area (end is just past a '\n'). */
  private async lines(p: number, end: number): Promise<void> {
    const k = this.k;
    while (p < end) {
      const n = k.scan(p, end);
      if (k.hash(n, this.fnv) > 0) {
        for (let i = 0; i < n; i++) {
          if (k.position(i) === HASH_IN_JS) k.setPosition(i, md5Position16OfRange(k.u8, k.lineStart(i), k.lineEnd(i)));
        }
      }
      let i = 0;
      while (i < n) {
        i = k.emit(i, n, this.o);
        this.o = k.emittedTo;
        this.written += k.emittedLines;
        if (i === n) break;
        if (k.position(i) === OFF_PATH) {
          await this.offPath(i);
          i++;
        } else if (this.o === k.outStart) {
          await this.oversized(i); // does not fit even in an empty output area
          i++;
        } else {
          await this.flushOut();
        }
      }
      this.names += n;
      p = k.lineNext(n - 1);
    }
  }

  /** A line off the byte path: decoded and written through the string path. */
  private async offPath(i: number): Promise<void> {
    const k = this.k;
    this.slow++;
    const text = this.format.slow(k.buf.toString('utf8', k.lineStart(i), k.lineEnd(i)));
    if (text === null) return;
    const len = Buffer.byteLength(text, 'utf8') + 1;
    if (this.o + len > k.outEnd) await this.flushOut();
    if (len > k.outEnd - k.outStart) {
      await this.direct([Buffer.from(text + '\n', 'utf8')]);
    } else {
      this.o += k.buf.write(text, this.o, 'utf8');
      k.u8[this.o++] = 0x0a;
    }
    this.written++;
  }

  /** A plain line too long for the output area: written from its pieces. */
  private async oversized(i: number): Promise<void> {
    const k = this.k;
    const tail = this.tails[this.listAt[k.position(i)]!]!;
    if (tail === null) return;
    await this.direct([this.head, Buffer.from(k.u8.subarray(k.lineStart(i), k.lineEnd(i))), tail]);
    this.written++;
  }

  private async direct(parts: readonly Uint8Array[]): Promise<void> {
    await this.flushOut();
    const need = parts.reduce((n, b) => n + b.length, 0);
    await this.sink.flush(need);
    for (const b of parts) {
      this.sink.buf.set(b, this.sink.pos);
      this.sink.pos += b.length;
    }
    await this.sink.flush();
  }

  /** Hand the output area to the sink. */
  private async flushOut(): Promise<void> {
    const k = this.k;
    if (this.o === k.outStart) return;
    const bytes = k.u8.subarray(k.outStart, this.o);
    this.o = k.outStart;
    if (this.sink.pos + bytes.length > this.sink.buf.length) await this.sink.flush(bytes.length);
    this.sink.buf.set(bytes, this.sink.pos);
    this.sink.pos += bytes.length;
    await this.sink.flush();
  }
}

/** A readable that yields Buffers (no encoding set): what the byte path reads. */
export function isByteStream(stream: Readable): boolean {
  return stream.readableEncoding === null && !stream.readableObjectMode;
}
