// The WebAssembly kernel of the byte path (src/ring/fast-locate.ts): split lines and classify their
// bytes, hash the plain names (carbon_ch: MD5 three names at a time; fnv1a_ch: FNV-1a), and write
// head + name + owner tail for each of them into an output area. WebAssembly rather than JavaScript
// because a CLI run is short: these loops run at full speed from the first name, with no JIT warm-up
// (which cost more than a third of a one-million-name run in JavaScript), and without bounds checks.
//
// Everything lives in one linear memory (layout below). The driver copies input in, calls scan → hash
// → emit per batch of lines, handles the lines the kernel stops at (names off the byte path, lines
// that do not fit), and copies the output area out.
import { assemble, Code, I32, type WasmFunction } from './assembler.js';

const PAGE = 65536;

// Memory layout (byte offsets).
const CELL_OUT = 0; // emit: output offset reached
const CELL_WRITTEN = 4; // emit: lines written
const CELL_HEAD_LEN = 8; // length of the head (0..16)
const STATE_1 = 64; // MD5 states (a, b, c, d per lane) of the one-block group
const STATE_2 = 128; // … of the two-block group
const PLAIN = 256; // 256 bytes: 1 for plain bytes
const HEAD = 512; // up to 16 bytes, plus slack for 8-byte copies
const BLOCKS_1 = 1024; // one-block names: three padded 64-byte messages
const BLOCKS_2 = BLOCKS_1 + 192; // two-block names: three padded 128-byte messages (to BLOCKS_2 + 384)
const TAIL_LEN = 2048; // i32 per position: tail length, -1 = line not written
const TAIL_AT = TAIL_LEN + 4 * 65536; // i32 per position: offset of the tail bytes
const LINES = TAIL_AT + 4 * 65536; // line records

/** Lines per scan → hash → emit round. */
export const BATCH = 4096;
const RECORD = 16; // start, name end, next line start, position (-2: off the byte path, -1: to hash in JS)
export const OFF_PATH = -2;
export const HASH_IN_JS = -1;
const SLACK = 64; // room for 8-byte copies running past the end of a name or tail

// Function index of md5x3 (first in the list kernelModule assembles).
const F_MD5X3 = 0;

const A0 = 0x67452301;
const B0 = 0xefcdab89 | 0;
const C0 = 0x98badcfe | 0;
const D0 = 0x10325476;
const MD5_SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];
// RFC 1321: T[i] = floor(|sin(i + 1)| * 2^32); message word order i, 5i+1, 3i+5, 7i (mod 16) per round.
const MD5_T = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const md5Word = (i: number): number => [i, 5 * i + 1, 3 * i + 5, 7 * i][i >> 4]! % 16;

/**
 * md5x3(block0, block1, block2, state): one MD5 compression for each of three lanes: the 64-byte
 * block at block<lane> folded into the state (a, b, c, d) at state + 16·lane. The three chains are
 * interleaved step by step so the CPU runs them side by side.
 */
function md5x3(): WasmFunction {
  const state = 3; // parameters 0..2 are the lanes' block addresses
  const c = new Code();
  const v = (lane: number, r: 'a' | 'b' | 'c' | 'd'): number => 4 + lane * 4 + 'abcd'.indexOf(r);
  for (let lane = 0; lane < 3; lane++) {
    for (const [k, r] of (['a', 'b', 'c', 'd'] as const).entries())
      c.get(state)
        .load(16 * lane + 4 * k)
        .set(v(lane, r));
  }
  let names: ('a' | 'b' | 'c' | 'd')[] = ['a', 'b', 'c', 'd'];
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    for (let lane = 0; lane < 3; lane++) {
      const [a, b, cc, d] = names.map((n) => v(lane, n)) as [number, number, number, number];
      c.get(a);
      // F = d ^ (b & (c ^ d)), G = c ^ (d & (b ^ c)), H = b ^ c ^ d, I = c ^ (b | ~d)
      if (round === 0) c.get(d).get(b).get(cc).get(d).xor().and().xor();
      else if (round === 1) c.get(cc).get(d).get(b).get(cc).xor().and().xor();
      else if (round === 2) c.get(b).get(cc).xor().get(d).xor();
      else c.get(cc).get(b).get(d).i32(-1).xor().or().xor();
      c.add()
        .get(lane /* its block address */)
        .load(4 * md5Word(i))
        .add()
        .i32(MD5_T[i]!)
        .add();
      c.i32(MD5_SHIFTS[round]![i % 4]!)
        .rotl()
        .get(b)
        .add()
        .set(a);
    }
    names = [names[3]!, names[0]!, names[1]!, names[2]!];
  }
  for (let lane = 0; lane < 3; lane++) {
    for (const [k, r] of (['a', 'b', 'c', 'd'] as const).entries()) {
      c.get(state)
        .get(state)
        .load(16 * lane + 4 * k)
        .get(v(lane, r))
        .add()
        .store(16 * lane + 4 * k);
    }
  }
  return { name: 'md5x3', params: [I32, I32, I32, I32], results: [], locals: Array(12).fill(I32), code: c };
}

/**
 * scan(p, end, max) → n: records for up to `max` lines of [p, end), which ends just after a '\n'.
 * A line is plain when it is non-empty, all its bytes are plain, and it ends at '\n' or '\r\n' (the
 * '\r' is not part of the name); any other line is recorded off the byte path with the string path's
 * bounds (one trailing '\r' removed).
 */
function scan(): WasmFunction {
  const [p, end, max, q, n, r, ch] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code();
  c.i32(LINES).set(r);
  c.block().loop(); // done, line
  c.get(p).get(end).geU().brIf(1);
  c.get(n).get(max).geU().brIf(1);
  // q = first byte at or after p that is not plain (at the latest the '\n' ending the range)
  c.get(p).set(q);
  c.block().loop();
  c.get(q).load8().load8(PLAIN).eqz().brIf(1);
  c.get(q).i32(1).add().set(q).br(0);
  c.end().end();
  c.get(r).get(p).store(0);
  c.get(q).load8().set(ch);
  c.block(); // next
  c.get(q).get(p).gtU().if();
  c.get(ch).i32(0x0a).eq().if();
  c.get(r).get(q).store(4).get(r).i32(0).store(12).get(q).i32(1).add().set(p).br(2);
  c.end();
  c.get(ch).i32(0x0d).eq().if();
  c.get(q).load8(1).i32(0x0a).eq().if();
  c.get(r).get(q).store(4).get(r).i32(0).store(12).get(q).i32(2).add().set(p).br(3);
  c.end().end();
  c.end();
  // Off the byte path: the line runs to the next '\n'; one '\r' before it is not part of the name.
  c.block().loop();
  c.get(q).load8().i32(0x0a).eq().brIf(1);
  c.get(q).i32(1).add().set(q).br(0);
  c.end().end();
  c.get(r);
  c.get(q).i32(1).sub(); // q - 1 when the line ends in '\r'
  c.get(q);
  c.get(q).get(p).gtU().get(q).i32(1).sub().load8().i32(0x0d).eq().and();
  c.select().store(4);
  c.get(r).i32(OFF_PATH).store(12);
  c.get(q).i32(1).add().set(p);
  c.end(); // next
  c.get(r).get(p).store(8);
  c.get(r).i32(RECORD).add().set(r);
  c.get(n).i32(1).add().set(n);
  c.br(0);
  c.end().end();
  c.get(n);
  return { name: 'scan', params: [I32, I32, I32], results: [I32], locals: [I32, I32, I32, I32], code: c };
}

/**
 * hash(n, fnv) → count of names left for JavaScript: positions of the plain lines among the first n
 * records. fnv = 1: FNV-1a folded to 16 bits (plain bytes are ASCII, so the signed-char variant is the
 * same). fnv = 0: carbon_ch (MD5); names of up to 55 bytes (one block) and of 56..119 bytes (two
 * blocks) are hashed three at a time, longer ones are marked HASH_IN_JS.
 */
function hash(): WasmFunction {
  const [n, fnv, r, rEnd, start, len, dst, left, j, h, lanes1, lanes2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const rec1 = [12, 13, 14]; // records in the one-block lanes
  const rec2 = [15, 16, 17]; // … in the two-block lanes
  const c = new Code();

  // Pad the name [start, start + len) into the `size`-byte message at dst (len <= size - 9): zeros,
  // the name as 8-byte words, then the word holding byte len fixed to keep the name's bytes, put 0x80
  // there and zeros above; the bit length in the last 8 bytes.
  const pad = (size: number): void => {
    for (let k = 0; k < size / 8 - 1; k++)
      c.get(dst)
        .i64(0n)
        .store64(8 * k);
    c.i32(0).set(j);
    c.block().loop();
    c.get(j).get(len).gtU().brIf(1);
    c.get(dst).get(j).add().get(start).get(j).add().load64().store64();
    c.get(j).i32(8).add().set(j).br(0);
    c.end().end();
    c.get(len).i32(~7).and().get(dst).add().set(j);
    c.get(j);
    c.get(j).load64();
    c.i64(1n).get(len).i32(7).and().i32(3).shl().extendU().shl64().i64(1n).sub64().and64();
    c.i64(0x80n).get(len).i32(7).and().i32(3).shl().extendU().shl64().or64();
    c.store64();
    c.get(dst)
      .get(len)
      .i32(3)
      .shl()
      .extendU()
      .store64(size - 8);
  };
  const initState = (state: number): void => {
    for (let lane = 0; lane < 3; lane++) {
      c.i32(state + 16 * lane)
        .i32(A0)
        .store(0)
        .i32(state + 16 * lane)
        .i32(B0)
        .store(4);
      c.i32(state + 16 * lane)
        .i32(C0)
        .store(8)
        .i32(state + 16 * lane)
        .i32(D0)
        .store(12);
    }
  };
  // position = first two digest bytes, big-endian, from lane's final a
  const storePosition = (record: number, state: number, lane: number): void => {
    c.get(record);
    c.i32(0)
      .load(state + 16 * lane)
      .tee(h)
      .i32(0xff)
      .and()
      .i32(8)
      .shl()
      .get(h)
      .i32(8)
      .shrU()
      .i32(0xff)
      .and()
      .or();
    c.store(12);
  };
  const rememberLane = (lanes: number, recs: number[]): void => {
    c.get(lanes).eqz().if().get(r).set(recs[0]!).else();
    c.get(lanes).i32(1).eq().if().get(r).set(recs[1]!).else().get(r).set(recs[2]!).end();
    c.end();
    c.get(lanes).i32(1).add().set(lanes);
  };
  const oneBlockGroup = (count: number | null): void => {
    initState(STATE_1);
    c.i32(BLOCKS_1)
      .i32(BLOCKS_1 + 64)
      .i32(BLOCKS_1 + 128)
      .i32(STATE_1)
      .call(F_MD5X3);
    for (let lane = 0; lane < 3; lane++) {
      if (count === null || lane === 0) storePosition(rec1[lane]!, STATE_1, lane);
      else {
        c.get(count).i32(lane).gtU().if();
        storePosition(rec1[lane]!, STATE_1, lane);
        c.end();
      }
    }
  };
  const twoBlockGroup = (count: number | null): void => {
    initState(STATE_2);
    c.i32(BLOCKS_2)
      .i32(BLOCKS_2 + 128)
      .i32(BLOCKS_2 + 256)
      .i32(STATE_2)
      .call(F_MD5X3);
    c.i32(BLOCKS_2 + 64)
      .i32(BLOCKS_2 + 192)
      .i32(BLOCKS_2 + 320)
      .i32(STATE_2)
      .call(F_MD5X3);
    for (let lane = 0; lane < 3; lane++) {
      if (count === null || lane === 0) storePosition(rec2[lane]!, STATE_2, lane);
      else {
        c.get(count).i32(lane).gtU().if();
        storePosition(rec2[lane]!, STATE_2, lane);
        c.end();
      }
    }
  };

  c.get(n).i32(RECORD).mul().i32(LINES).add().set(rEnd);
  c.i32(LINES).set(r);
  c.block().loop(); // done, record
  c.get(r).get(rEnd).geU().brIf(1);
  c.block(); // next
  c.get(r).load(12).i32(OFF_PATH).eq().brIf(0);
  c.get(r).load(0).set(start);
  c.get(r).load(4).get(start).sub().set(len);
  c.get(fnv).if();
  c.i32(0x811c9dc5).set(h).get(start).set(j);
  c.block().loop();
  c.get(j).get(start).get(len).add().geU().brIf(1);
  c.get(h).get(j).load8().xor().i32(0x01000193).mul().set(h);
  c.get(j).i32(1).add().set(j).br(0);
  c.end().end();
  c.get(r).get(h).i32(16).shrU().get(h).i32(0xffff).and().xor().store(12);
  c.br(1);
  c.end();
  c.get(len).i32(55).leU().if();
  // one block
  c.get(lanes1).i32(6).shl().i32(BLOCKS_1).add().set(dst);
  pad(64);
  rememberLane(lanes1, rec1);
  c.get(lanes1).i32(3).eq().if();
  oneBlockGroup(null);
  c.i32(0).set(lanes1);
  c.end();
  c.br(1);
  c.end();
  c.get(len).i32(119).leU().if();
  // two blocks
  c.get(lanes2).i32(7).shl().i32(BLOCKS_2).add().set(dst);
  pad(128);
  rememberLane(lanes2, rec2);
  c.get(lanes2).i32(3).eq().if();
  twoBlockGroup(null);
  c.i32(0).set(lanes2);
  c.end();
  c.br(1);
  c.end();
  c.get(r).i32(HASH_IN_JS).store(12).get(left).i32(1).add().set(left);
  c.end(); // next
  c.get(r).i32(RECORD).add().set(r).br(0);
  c.end().end();
  // Lanes left over: hash them along with whatever the unused blocks hold.
  c.get(lanes1).if();
  oneBlockGroup(lanes1);
  c.end();
  c.get(lanes2).if();
  twoBlockGroup(lanes2);
  c.end();
  c.get(left);
  return { name: 'hash', params: [I32, I32], results: [I32], locals: Array(16).fill(I32), code: c };
}

/**
 * emit(from, n, o, cap) → i: for records from..n-1, write head + name + tail at o while it fits
 * below cap (minus SLACK); skip lines whose tail length is -1. Stops at the first record off the byte
 * path, or that does not fit, and returns its index (n when all are done); the output offset and the
 * count of lines written go to CELL_OUT and CELL_WRITTEN.
 */
function emit(): WasmFunction {
  const [from, n, o, cap, i, r, pos, tlen, start, len, j, src, written, hl] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const copy = (c: Code, from: number, count: number): void => {
    // 8-byte words from `from` to o while j < count (may write up to 7 bytes past o + count)
    c.i32(0).set(j);
    c.block().loop();
    c.get(j).get(count).geU().brIf(1);
    c.get(o).get(j).add().get(from).get(j).add().load64().store64();
    c.get(j).i32(8).add().set(j).br(0);
    c.end().end();
  };
  const c = new Code();
  c.get(from).set(i);
  c.get(from).i32(RECORD).mul().i32(LINES).add().set(r);
  c.i32(0).load(CELL_HEAD_LEN).set(hl);
  c.block().loop(); // stop, line
  c.get(i).get(n).geU().brIf(1);
  c.get(r).load(12).tee(pos).i32(0).ltS().brIf(1);
  c.get(pos).i32(2).shl().load(TAIL_LEN).tee(tlen).i32(0).ltS().if();
  c.get(i).i32(1).add().set(i).get(r).i32(RECORD).add().set(r).br(1);
  c.end();
  c.get(r).load(0).set(start);
  c.get(r).load(4).get(start).sub().set(len);
  c.get(o).get(hl).add().get(len).add().get(tlen).add().get(cap).gtU().brIf(1);
  c.get(o).i32(0).load64(HEAD).store64(0);
  c.get(o)
    .i32(0)
    .load64(HEAD + 8)
    .store64(8);
  c.get(o).get(hl).add().set(o);
  copy(c, start, len);
  c.get(o).get(len).add().set(o);
  c.get(pos).i32(2).shl().load(TAIL_AT).set(src);
  copy(c, src, tlen);
  c.get(o).get(tlen).add().set(o);
  c.get(written).i32(1).add().set(written);
  c.get(i).i32(1).add().set(i).get(r).i32(RECORD).add().set(r).br(0);
  c.end().end();
  c.i32(0).get(o).store(CELL_OUT);
  c.i32(0).get(written).store(CELL_WRITTEN);
  c.get(i);
  return { name: 'emit', params: [I32, I32, I32, I32], results: [I32], locals: Array(10).fill(I32), code: c };
}

// The few WebAssembly JS API members used here (the project's TypeScript libs do not declare them).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

function kernelModule(): object {
  compiled ??= new Wasm.Module(assemble([md5x3(), scan(), hash(), emit()], 1));
  return compiled;
}

interface KernelExports {
  scan(p: number, end: number, max: number): number;
  hash(n: number, fnv: number): number;
  emit(from: number, n: number, o: number, cap: number): number;
}

/** One kernel instance with its memory: tables set once, then batches of lines. */
export class LocateKernel {
  private readonly memory: WasmMemory;
  private readonly fn: KernelExports;
  /** Views of the memory (renewed when it grows). */
  u8!: Uint8Array;
  buf!: Buffer;
  i32!: Int32Array;
  /** Output area [outStart, outEnd); writes may run SLACK bytes past outEnd. */
  readonly outStart: number;
  readonly outEnd: number;
  /** Input area: from inStart to the end of memory. */
  readonly inStart: number;

  /**
   * @param plain 256 entries, 1 for plain bytes
   * @param head bytes before each plain name (at most 16)
   * @param tails the tail of each owner list (null: the line is not written)
   * @param listAt the owner list of each position
   * @param outSize size of the output area
   */
  constructor(plain: Uint8Array, head: Uint8Array, tails: readonly (Uint8Array | null)[], listAt: Int32Array, outSize: number) {
    if (head.length > 16) throw new RangeError('head longer than 16 bytes');
    const tailAt: number[] = [];
    let tailBytes = 0;
    for (const t of tails) {
      tailAt.push(tailBytes);
      if (t !== null) tailBytes += t.length + 8; // room for the last 8-byte read
    }
    const tailsStart = LINES + BATCH * RECORD;
    this.outStart = tailsStart + tailBytes + SLACK;
    this.outEnd = this.outStart + outSize;
    this.inStart = this.outEnd + SLACK;
    this.memory = new Wasm.Memory({ initial: Math.ceil((this.inStart + (1 << 20) + SLACK) / PAGE) });
    this.fn = new Wasm.Instance(kernelModule(), { env: { memory: this.memory } }).exports as unknown as KernelExports;
    this.views();

    this.u8.set(plain, PLAIN);
    this.u8.set(head, HEAD);
    this.i32[CELL_HEAD_LEN >> 2] = head.length;
    tails.forEach((t, k) => {
      if (t !== null) this.u8.set(t, tailsStart + tailAt[k]!);
    });
    // Per position, filled run by run (positions with one owner list come in long runs).
    for (let p = 0; p < listAt.length;) {
      const k = listAt[p]!;
      let q = p + 1;
      while (q < listAt.length && listAt[q] === k) q++;
      const t = tails[k]!;
      this.i32.fill(t === null ? -1 : t.length, (TAIL_LEN >> 2) + p, (TAIL_LEN >> 2) + q);
      this.i32.fill(t === null ? 0 : tailsStart + tailAt[k]!, (TAIL_AT >> 2) + p, (TAIL_AT >> 2) + q);
      p = q;
    }
  }

  private views(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.buf = Buffer.from(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Make the input area hold at least `bytes` (plus slack); views are renewed when memory grows. */
  reserveInput(bytes: number): void {
    const need = this.inStart + bytes + SLACK;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.views();
    }
  }

  scan(p: number, end: number): number {
    return this.fn.scan(p, end, BATCH);
  }

  /** Positions of the plain lines; returns how many (carbon_ch names over 55 bytes) are left HASH_IN_JS. */
  hash(n: number, fnv: boolean): number {
    return this.fn.hash(n, fnv ? 1 : 0);
  }

  /** Emit from record `from`; returns the record it stopped at. */
  emit(from: number, n: number, o: number): number {
    return this.fn.emit(from, n, o, this.outEnd);
  }

  get emittedTo(): number {
    return this.i32[CELL_OUT >> 2]!;
  }
  get emittedLines(): number {
    return this.i32[CELL_WRITTEN >> 2]!;
  }

  // Record fields of line k of the current batch.
  lineStart(k: number): number {
    return this.i32[(LINES >> 2) + k * 4]!;
  }
  lineEnd(k: number): number {
    return this.i32[(LINES >> 2) + k * 4 + 1]!;
  }
  lineNext(k: number): number {
    return this.i32[(LINES >> 2) + k * 4 + 2]!;
  }
  position(k: number): number {
    return this.i32[(LINES >> 2) + k * 4 + 3]!;
  }
  setPosition(k: number, pos: number): void {
    this.i32[(LINES >> 2) + k * 4 + 3] = pos;
  }
}
