// A very small WebAssembly assembler: enough to write byte-crunching kernels (integer arithmetic, loads
// and stores, blocks and loops) as TypeScript and compile them at start-up in a few milliseconds.
// Encodings follow the WebAssembly core specification (binary format, version 1); only the parts the
// kernels use are here: one imported memory, functions of i32/i64 parameters, exports.

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32- or 64-bit integer. */
function sleb(n: bigint): number[] {
  const out: number[] = [];
  let v = n;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
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

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  // control
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  /** Branch to the `depth`-th enclosing block (0 = innermost): a block's end, a loop's start. */
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }
  return(): this {
    return this.op(0x0f);
  }
  call(func: number): this {
    return this.op(0x10, ...uleb(func));
  }
  /** (a, b, cond) → cond !== 0 ? a : b */
  select(): this {
    return this.op(0x1b);
  }

  // locals
  get(local: number): this {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(0x22, ...uleb(local));
  }

  // memory (alignment hints are only hints: unaligned access is valid)
  load(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  load64(offset = 0): this {
    return this.op(0x29, 3, ...uleb(offset));
  }
  load8(offset = 0): this {
    return this.op(0x2d, 0, ...uleb(offset));
  }
  store(offset = 0): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  store64(offset = 0): this {
    return this.op(0x37, 3, ...uleb(offset));
  }
  store8(offset = 0): this {
    return this.op(0x3a, 0, ...uleb(offset));
  }

  // constants
  i32(n: number): this {
    return this.op(0x41, ...sleb(BigInt(n | 0)));
  }
  i64(n: bigint): this {
    return this.op(0x42, ...sleb(BigInt.asIntN(64, n)));
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
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A module importing one memory as env.memory (at least `minPages` pages) and exporting `funcs` by name. */
export function assemble(funcs: readonly WasmFunction[], minPages: number): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const bodies = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.code.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minPages)]])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
