// A very small WebAssembly assembler: enough to write byte-crunching kernels (integer arithmetic, loads
// and stores, blocks and loops) as TypeScript and compile them at start-up in a few milliseconds.
// Encodings follow the WebAssembly core specification (binary format, version 1); only the parts the
// kernels use are here: one imported memory, functions of i32/i64 parameters, exports.

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Unsigned LEB128 of a 32-bit integer, appended to `out`. */
function uleb(n: number, out: number[] = []): number[] {
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer, appended to `out`. */
function sleb32(n: number, out: number[]): void {
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Signed LEB128 of a 64-bit integer, appended to `out`. */
function sleb64(n: bigint, out: number[]): void {
  let v = BigInt.asIntN(64, n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/**
 * Instructions of one function body, appended in order (stack machine: operands first). Method names
 * are the WebAssembly mnemonics; memory offsets are constant byte offsets added to the address operand.
 */
export class Code {
  readonly bytes: number[] = [];

  private op(b: number): this {
    this.bytes.push(b);
    return this;
  }
  /** An opcode with one unsigned immediate (local index, branch depth, function index). */
  private opU(b: number, imm: number): this {
    this.bytes.push(b);
    uleb(imm, this.bytes);
    return this;
  }
  /** A load or store: alignment exponent, then the constant offset. */
  private mem(b: number, align: number, offset: number): this {
    this.bytes.push(b, align);
    uleb(offset, this.bytes);
    return this;
  }

  // control
  block(): this {
    this.bytes.push(0x02, 0x40);
    return this;
  }
  loop(): this {
    this.bytes.push(0x03, 0x40);
    return this;
  }
  if(): this {
    this.bytes.push(0x04, 0x40);
    return this;
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  /** Branch to the `depth`-th enclosing block (0 = innermost): a block's end, a loop's start. */
  br(depth: number): this {
    return this.opU(0x0c, depth);
  }
  brIf(depth: number): this {
    return this.opU(0x0d, depth);
  }
  return(): this {
    return this.op(0x0f);
  }
  call(func: number): this {
    return this.opU(0x10, func);
  }
  /** (a, b, cond) → cond !== 0 ? a : b */
  select(): this {
    return this.op(0x1b);
  }

  // locals
  get(local: number): this {
    return this.opU(0x20, local);
  }
  set(local: number): this {
    return this.opU(0x21, local);
  }
  tee(local: number): this {
    return this.opU(0x22, local);
  }

  // memory (alignment hints are only hints: unaligned access is valid)
  load(offset = 0): this {
    return this.mem(0x28, 2, offset);
  }
  load64(offset = 0): this {
    return this.mem(0x29, 3, offset);
  }
  load8(offset = 0): this {
    return this.mem(0x2d, 0, offset);
  }
  store(offset = 0): this {
    return this.mem(0x36, 2, offset);
  }
  store64(offset = 0): this {
    return this.mem(0x37, 3, offset);
  }
  store8(offset = 0): this {
    return this.mem(0x3a, 0, offset);
  }

  // constants
  i32(n: number): this {
    this.bytes.push(0x41);
    sleb32(n, this.bytes);
    return this;
  }
  i64(n: bigint): this {
    this.bytes.push(0x42);
    sleb64(n, this.bytes);
    return this;
  }

  // i32 comparisons and arithmetic
  eqz(): this {
    return this.op(0x45);
  }
  eq(): this {
    return this.op(0x46);
  }
  ne(): this {
    return this.op(0x47);
  }
  ltS(): this {
    return this.op(0x48);
  }
  ltU(): this {
    return this.op(0x49);
  }
  gtS(): this {
    return this.op(0x4a);
  }
  gtU(): this {
    return this.op(0x4b);
  }
  leU(): this {
    return this.op(0x4d);
  }
  geU(): this {
    return this.op(0x4f);
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  and(): this {
    return this.op(0x71);
  }
  or(): this {
    return this.op(0x72);
  }
  xor(): this {
    return this.op(0x73);
  }
  shl(): this {
    return this.op(0x74);
  }
  shrU(): this {
    return this.op(0x76);
  }
  rotl(): this {
    return this.op(0x77);
  }

  // i64
  and64(): this {
    return this.op(0x83);
  }
  or64(): this {
    return this.op(0x84);
  }
  shl64(): this {
    return this.op(0x86);
  }
  sub64(): this {
    return this.op(0x7d);
  }
  /** i64.extend_i32_u */
  extendU(): this {
    return this.op(0xad);
  }
}

export interface WasmFunction {
  name: string;
  params: readonly ValType[];
  results: readonly ValType[];
  /** Extra locals after the parameters, in order. */
  locals: readonly ValType[];
  code: Code;
}

function vec(items: readonly (readonly number[])[]): number[] {
  const out = uleb(items.length);
  for (const it of items) for (const b of it) out.push(b);
  return out;
}

function name(s: string): number[] {
  const out = uleb(Buffer.byteLength(s, 'utf8'));
  for (const b of Buffer.from(s, 'utf8')) out.push(b);
  return out;
}

/** A module importing one memory as env.memory (at least `minPages` pages) and exporting `funcs` by name. */
export function assemble(funcs: readonly WasmFunction[], minPages: number): Uint8Array {
  // Small sections as arrays; function bodies (thousands of bytes) are copied once, with set().
  const pieces: (readonly number[])[] = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]]; // magic, version 1
  const section = (id: number, body: readonly (readonly number[])[]): void => {
    const size = body.reduce((n, b) => n + b.length, 0);
    pieces.push([id, ...uleb(size)], ...body);
  };
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  section(1, [vec(types)]);
  section(2, [vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minPages)]])]);
  section(3, [vec(funcs.map((_, i) => uleb(i)))]);
  section(7, [vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))]);
  const code: (readonly number[])[] = [uleb(funcs.length)];
  for (const f of funcs) {
    const locals = vec(f.locals.map((t) => [1, t]));
    code.push(uleb(locals.length + f.code.bytes.length + 1), locals, f.code.bytes, [0x0b]);
  }
  section(10, code);
  const out = new Uint8Array(pieces.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of pieces) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
