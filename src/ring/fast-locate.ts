// The byte path of `ring locate --json` and `ring sieve`: names are read as bytes and never become
// strings. A line made only of "plain" bytes (printable ASCII without '"' and '\', and without the
// bytes that would make the ring rewrite the name) is hashed straight from the input buffer, its
// owners come from the ring's 65536-entry position table, and the output line is the name's bytes
// between a constant head and a tail encoded once per owner list. Any other line — non-ASCII, invalid
// UTF-8, control characters, quotes, empty — is decoded and goes through the string path
// (ring.locate and the PlacementEncoder), so the output is byte for byte what the string path writes.
import type { Readable } from 'node:stream';
import type { ByteSink } from '../ui/output.js';
import { BuckyConsistentRing } from './bucky-ring.js';
import { CarbonConsistentRing } from './carbon-ring.js';
import { CrelayConsistentRing } from './crelay-ring.js';
import { fnv1aPositions16OfRanges } from './hash/fnv1a.js';
import { md5Positions16OfRanges } from './hash/md5.js';
import { POSITIONS_16 } from './ring-support.js';
import type { Destination, PositionFn, Ring } from './types.js';

/** What the byte path needs from a ring. */
export interface ByteKeyspace {
  /** plain[b] === 1 when byte b may appear in a name that takes the byte path. */
  readonly plain: Uint8Array;
  /** Owners at each of the 65536 positions: what ring.locate returns for a plain name there. */
  readonly owners: readonly (readonly Destination[])[];
  /** The ring's position function over many byte ranges: out[i] for src[starts[i], ends[i]), i < count. */
  readonly positions: (src: Uint8Array, starts: Int32Array, ends: Int32Array, count: number, out: Int32Array) => void;
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
  const positions = rangePositions(space.fn);
  if (positions === undefined) return undefined;

  const plain = new Uint8Array(256);
  for (let b = 0x21; b <= 0x7e; b++) plain[b] = 1;
  plain[QUOTE] = 0;
  plain[BACKSLASH] = 0;
  if (ring.spec.tagRelayNormalized) for (const c of ';{~') plain[c.charCodeAt(0)] = 0;

  const owners = new Array<readonly Destination[]>(POSITIONS_16);
  for (let p = 0; p < POSITIONS_16; p++) owners[p] = space.ownersAt(p);
  return { plain, owners, positions };
}

function rangePositions(fn: PositionFn): ByteKeyspace['positions'] | undefined {
  switch (fn) {
    case 'md5-16':
      return md5Positions16OfRanges;
    case 'fnv1a32-16':
      return (src, starts, ends, count, out) => fnv1aPositions16OfRanges(src, starts, ends, count, out, false);
    case 'fnv1a32-16-signed':
      return (src, starts, ends, count, out) => fnv1aPositions16OfRanges(src, starts, ends, count, out, true);
    default:
      return undefined;
  }
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

const NEWLINE = Buffer.from('\n');

/**
 * Stream `input` (raw bytes, lines ending at '\n', one trailing '\r' removed, the last line written even
 * without a newline — exactly lineBatches' splitting) to `sink` in `format`. A chunk may be reused by
 * the input once the next one is requested: the partial line at its end is copied.
 */
export async function writeByteLines(
  input: AsyncIterable<Buffer | string>,
  ks: ByteKeyspace,
  format: ByteLineFormat,
  sink: ByteSink,
  report?: (names: number, done: boolean) => void,
  reportEveryMs = 250,
): Promise<ByteStreamResult> {
  const w = new ByteLineWriter(ks, format, sink);
  let carry: Buffer[] = []; // a line begun in earlier chunks
  let last = Date.now();
  for await (const piece of input) {
    // Streams of strings never reach here (callers check readableEncoding); convert defensively.
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let from = 0;
    if (carry.length > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        carry.push(Buffer.from(chunk));
        continue;
      }
      carry.push(chunk.subarray(0, nl + 1));
      const line = Buffer.concat(carry);
      carry = [];
      await w.lines(line, 0, line.length);
      from = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(0x0a);
    if (lastNl >= from) {
      await w.lines(chunk, from, lastNl + 1);
      from = lastNl + 1;
    }
    if (from < chunk.length) carry.push(Buffer.from(chunk.subarray(from)));
    if (report !== undefined) {
      const now = Date.now();
      if (now - last >= reportEveryMs) {
        last = now;
        report(w.names, false);
      }
    }
  }
  if (carry.length > 0) {
    carry.push(NEWLINE);
    const line = Buffer.concat(carry);
    await w.lines(line, 0, line.length);
  }
  await sink.flush();
  report?.(w.names, true);
  return { names: w.names, written: w.written, slow: w.slow };
}

/** Lines scanned per batch: positions are computed for a batch at once (three MD5s side by side). */
const BATCH = 4096;

/** A constant byte string as little-endian 32-bit words (for word-wise stores; the last word is padded). */
function toWords(bytes: Uint8Array): Int32Array {
  const words = new Int32Array((bytes.length + 3) >>> 2);
  for (let i = 0; i < bytes.length; i++) words[i >>> 2]! |= bytes[i]! << ((i & 3) << 3);
  return words;
}

class ByteLineWriter {
  names = 0;
  written = 0;
  slow = 0;
  /** Bytes the line that did not fit needs. */
  private need = 0;
  /** Output tail of each position (null: not written), resolved once from the owner lists. */
  private readonly tailAt: (Uint8Array | null)[];
  private readonly headWords: Int32Array;
  private readonly headLen: number;
  // The current batch: every line's start, name end (after the '\r' of CRLF) and next line start;
  // names on the byte path again as ranges, with their positions.
  private readonly lineStart = new Int32Array(BATCH);
  private readonly lineEnd = new Int32Array(BATCH);
  private readonly lineNext = new Int32Array(BATCH);
  private readonly isPlain = new Uint8Array(BATCH);
  private readonly plainStart = new Int32Array(BATCH);
  private readonly plainEnd = new Int32Array(BATCH);
  private readonly plainPos = new Int32Array(BATCH);
  private dstView: DataView;
  private dstOf: Buffer;

  constructor(
    private readonly ks: ByteKeyspace,
    private readonly format: ByteLineFormat,
    private readonly sink: ByteSink,
  ) {
    const byList = new Map<readonly Destination[], Uint8Array | null>();
    this.tailAt = ks.owners.map((owners) => {
      let t = byList.get(owners);
      if (t === undefined) {
        t = format.tail(owners);
        byList.set(owners, t);
      }
      return t;
    });
    this.headWords = toWords(format.head);
    this.headLen = format.head.length;
    this.dstOf = sink.buf;
    this.dstView = new DataView(sink.buf.buffer, sink.buf.byteOffset, sink.buf.length);
  }

  /** Write the complete lines src[p, end) (end is just past a '\n'), flushing the sink as it fills. */
  async lines(src: Buffer, p: number, end: number): Promise<void> {
    const srcView = new DataView(src.buffer, src.byteOffset, src.length);
    while (p < end) {
      const n = this.scan(src, p, end);
      const stop = this.emit(src, srcView, n);
      if (stop < n) {
        await this.sink.flush(this.need);
        p = this.lineStart[stop]!;
      } else {
        p = this.lineNext[n - 1]!;
      }
    }
  }

  /** Find the next lines (up to BATCH) of src[p, end), classify them, and hash the plain ones. */
  private scan(src: Buffer, p: number, end: number): number {
    const plain = this.ks.plain;
    const { lineStart, lineEnd, lineNext, isPlain, plainStart, plainEnd } = this;
    let n = 0;
    let m = 0;
    while (p < end && n < BATCH) {
      let q = p;
      // Stops at the '\n' ending src[p, end) at the latest.
      while (plain[src[q]!] === 1) q++;
      const c = src[q]!;
      lineStart[n] = p;
      if (q > p && (c === 0x0a || (c === 0x0d && src[q + 1] === 0x0a))) {
        lineEnd[n] = q;
        p = c === 0x0a ? q + 1 : q + 2;
        isPlain[n] = 1;
        plainStart[m] = lineStart[n]!;
        plainEnd[m] = q;
        m++;
      } else {
        const nl = c === 0x0a ? q : src.indexOf(0x0a, q);
        lineEnd[n] = nl > p && src[nl - 1] === 0x0d ? nl - 1 : nl;
        p = nl + 1;
        isPlain[n] = 0;
      }
      lineNext[n] = p;
      n++;
    }
    this.ks.positions(src, plainStart, plainEnd, m, this.plainPos);
    return n;
  }

  /** Write lines 0..n-1 of the batch to the sink's buffer; returns the first line that did not fit (n when all did). */
  private emit(src: Buffer, srcView: DataView, n: number): number {
    const sink = this.sink;
    const dst = sink.buf;
    if (this.dstOf !== dst) {
      this.dstOf = dst;
      this.dstView = new DataView(dst.buffer, dst.byteOffset, dst.length);
    }
    const dv = this.dstView;
    const cap = dst.length;
    const srcLen = src.length;
    const { lineStart, lineEnd, isPlain, plainPos, tailAt, headWords, headLen } = this;
    const headWordCount = headWords.length;
    let o = sink.pos;
    let m = 0;
    let written = 0;
    let slow = 0;
    let i = 0;
    for (; i < n; i++) {
      const p = lineStart[i]!;
      const q = lineEnd[i]!;
      if (isPlain[i] === 1) {
        const tail = tailAt[plainPos[m]!]!;
        if (tail !== null) {
          const len = q - p;
          const tailLen = tail.length;
          // + 4: word stores may run up to 3 bytes past the name (the tail overwrites them).
          if (o + headLen + len + tailLen + 4 > cap) {
            this.need = headLen + len + tailLen + 4;
            break;
          }
          for (let k = 0; k < headWordCount; k++) dv.setInt32(o + (k << 2), headWords[k]!, true);
          o += headLen;
          if (q + 3 < srcLen) {
            for (let k = 0; k < len; k += 4) dv.setInt32(o + k, srcView.getInt32(p + k, true), true);
          } else {
            for (let k = 0; k < len; k++) dst[o + k] = src[p + k]!;
          }
          o += len;
          dst.set(tail, o);
          o += tailLen;
          written++;
        }
        m++;
        continue;
      }
      // Off the byte path: the line as the string path sees it.
      const text = this.format.slow(src.toString('utf8', p, q));
      if (text !== null) {
        const len = Buffer.byteLength(text, 'utf8') + 1;
        if (o + len > cap) {
          this.need = len;
          break;
        }
        o += dst.write(text, o, 'utf8');
        dst[o++] = 0x0a;
        written++;
      }
      slow++;
    }
    sink.pos = o;
    this.names += i;
    this.written += written;
    this.slow += slow;
    return i;
  }
}

/** A readable that yields Buffers (no encoding set): what the byte path reads. */
export function isByteStream(stream: Readable): boolean {
  return stream.readableEncoding === null && !stream.readableObjectMode;
}
