// carbon-cache's CACHE_QUERY protocol as graphite-web's CarbonLink speaks it (graphite/carbonlink.py):
// a request is a pickled dict {'type': 'cache-query', 'metric': NAME} behind a 4-byte big-endian
// length; the answer is pickle protocol 2 of {'datapoints': [(timestamp, value), …]} framed the same
// way. The points are the ones carbon-cache holds and has not written to the whisper file yet. Only
// the pickle opcodes those messages use are implemented; anything else fails with the opcode named.
import * as net from 'node:net';

/** Pickle protocol 2 of a dict whose keys are str and whose values are str or lists of str. */
export function pickleDict(d: Record<string, string | string[]>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2, 0x7d /* } */, 0x28 /* ( */])];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // X BINUNICODE
    head.writeUInt32LE(b.length, 1);
    parts.push(head, b);
  };
  for (const [k, v] of Object.entries(d)) {
    str(k);
    if (Array.isArray(v)) {
      parts.push(Buffer.from([0x5d /* ] */, 0x28 /* ( */]));
      for (const item of v) str(item);
      parts.push(Buffer.from([0x65 /* e APPENDS */]));
    } else str(v);
  }
  parts.push(Buffer.from([0x75 /* u SETITEMS */, 0x2e /* . */]));
  return Buffer.concat(parts);
}

/** Python values as decoded: dict → Map, list and tuple → array, int → number (or bigint beyond 2^53). */
export type PyValue = null | boolean | number | bigint | string | Buffer | PyValue[] | Map<PyValue, PyValue>;

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

/** Decode a pickle (protocols 0–4, the opcodes of plain data: no classes, no globals). */
export function unpickle(buf: Buffer): PyValue {
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  let i = 0;
  const need = (n: number) => {
    if (i + n > buf.length) throw new Error(`pickle truncated at byte ${i} (need ${n} more)`);
  };
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new Error('pickle: no MARK on the stack');
    const items = stack.splice(at) as PyValue[];
    items.shift();
    return items;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new Error('pickle: stack underflow');
    return v;
  };
  const pop = (): PyValue => {
    const v = top();
    stack.pop();
    return v;
  };
  const int = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  for (;;) {
    need(1);
    const op = buf[i++]!;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        i += 1;
        break;
      case 0x95: // FRAME
        need(8);
        i += 8;
        break;
      case 0x2e: // . STOP
        return pop();
      case 0x7d: // } EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // ] EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // ) EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x28: // ( MARK
        stack.push(MARK);
        break;
      case 0x75: {
        // u SETITEMS
        const items = popMark();
        const d = top();
        if (!(d instanceof Map)) throw new Error('pickle: SETITEMS on a non-dict');
        for (let k = 0; k + 1 < items.length; k += 2) d.set(items[k]!, items[k + 1]!);
        break;
      }
      case 0x73: {
        // s SETITEM
        const v = pop();
        const k = pop();
        const d = top();
        if (!(d instanceof Map)) throw new Error('pickle: SETITEM on a non-dict');
        d.set(k, v);
        break;
      }
      case 0x65: {
        // e APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new Error('pickle: APPENDS on a non-list');
        l.push(...items);
        break;
      }
      case 0x61: {
        // a APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new Error('pickle: APPEND on a non-list');
        l.push(v);
        break;
      }
      case 0x74: // t TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x4e: // N NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // J BININT
        need(4);
        stack.push(buf.readInt32LE(i));
        i += 4;
        break;
      case 0x4b: // K BININT1
        need(1);
        stack.push(buf[i]!);
        i += 1;
        break;
      case 0x4d: // M BININT2
        need(2);
        stack.push(buf.readUInt16LE(i));
        i += 2;
        break;
      case 0x8a: {
        // LONG1
        need(1);
        const n = buf[i++]!;
        need(n);
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[i + k]!);
        if (n > 0 && buf[i + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        i += n;
        stack.push(int(v));
        break;
      }
      case 0x47: // G BINFLOAT
        need(8);
        stack.push(buf.readDoubleBE(i));
        i += 8;
        break;
      case 0x58: {
        // X BINUNICODE
        need(4);
        const n = buf.readUInt32LE(i);
        i += 4;
        need(n);
        stack.push(buf.toString('utf8', i, i + n));
        i += n;
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1);
        const n = buf[i++]!;
        need(n);
        stack.push(buf.toString('utf8', i, i + n));
        i += n;
        break;
      }
      case 0x43: {
        // C SHORT_BINBYTES
        need(1);
        const n = buf[i++]!;
        need(n);
        stack.push(Buffer.from(buf.subarray(i, i + n)));
        i += n;
        break;
      }
      case 0x42: {
        // B BINBYTES
        need(4);
        const n = buf.readUInt32LE(i);
        i += 4;
        need(n);
        stack.push(Buffer.from(buf.subarray(i, i + n)));
        i += n;
        break;
      }
      case 0x71: // q BINPUT
        need(1);
        memo.set(buf[i++]!, top());
        break;
      case 0x72: // r LONG_BINPUT
        need(4);
        memo.set(buf.readUInt32LE(i), top());
        i += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: {
        // h BINGET
        need(1);
        const k = buf[i++]!;
        if (!memo.has(k)) throw new Error(`pickle: BINGET ${k} not in memo`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x6a: {
        // j LONG_BINGET
        need(4);
        const k = buf.readUInt32LE(i);
        i += 4;
        if (!memo.has(k)) throw new Error(`pickle: LONG_BINGET ${k} not in memo`);
        stack.push(memo.get(k)!);
        break;
      }
      default:
        throw new Error(`pickle: unsupported opcode 0x${op.toString(16)} at byte ${i - 1}`);
    }
  }
}

/** One framed request/response on the CACHE_QUERY port. */
export function cacheRequest(host: string, port: number, request: Record<string, string | string[]>, timeoutMs = 5_000): Promise<PyValue> {
  const body = pickleDict(request);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return new Promise<PyValue>((resolve, reject) => {
    const s = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let got = 0;
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`cache query to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    s.once('error', (e) => fail(new Error(`cache query to ${host}:${port}: ${e.message}`)));
    s.once('connect', () => s.write(Buffer.concat([head, body])));
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got < 4) return;
      const all = Buffer.concat(chunks);
      const n = all.readUInt32BE(0);
      if (all.length < 4 + n) return;
      clearTimeout(timer);
      s.destroy();
      try {
        resolve(unpickle(all.subarray(4, 4 + n)));
      } catch (e) {
        reject(e as Error);
      }
    });
    s.once('end', () => {
      if (got < 4) fail(new Error(`cache query to ${host}:${port}: connection closed without an answer`));
    });
  });
}

/** The unflushed points carbon-cache holds for `metric` (CarbonLink's `query`), as [timestamp, value]. */
export async function cacheQuery(host: string, port: number, metric: string, timeoutMs = 5_000): Promise<[number, number][]> {
  const answer = await cacheRequest(host, port, { type: 'cache-query', metric }, timeoutMs);
  if (!(answer instanceof Map)) throw new Error(`cache query to ${host}:${port}: the answer is not a dict`);
  if (answer.has('error')) throw new Error(`cache query to ${host}:${port}: ${String(answer.get('error'))}`);
  const points = answer.get('datapoints');
  if (!Array.isArray(points)) throw new Error(`cache query to ${host}:${port}: no datapoints list in the answer`);
  return points.map((p) => {
    if (!Array.isArray(p) || p.length !== 2) throw new Error(`cache query to ${host}:${port}: a datapoint is not a pair`);
    return [Number(p[0]), Number(p[1])];
  });
}
