// carbon_ch positions of many keys at once (carbon's replica keys: 100 per ring member, half a
// million for a 5000-member ring). The keys are written as bytes straight into the WebAssembly
// kernel's input area and hashed three at a time there; building half a million JavaScript strings
// and hashing them one by one costs several times more. A key the kernel cannot take — one holding
// '\n' or '\r' (they end its lines) or longer than two MD5 blocks — is hashed here with md5Position16.
// So are all the keys of a small ring: compiling and instantiating the kernel costs more than hashing a
// thousand keys in JavaScript, and a small ring is what a one-name `ring locate` builds at start-up.
import { LocateKernel } from '../wasm/locate-kernel.js';
import { md5Position16, md5Position16OfBytes } from './md5.js';

/** Writes key `k` as UTF-8 into `buf` at `at` and returns the offset after it (no newline). */
export type KeyWriter = (k: number, buf: Buffer, at: number) => number;

/** Keys per round: the input area holds about this many lines at a time. */
const ROUND = 4096;
/** Up to this many keys (10 carbon ring members), hashing them in JavaScript is quicker than the kernel. */
const KERNEL_FROM = 1024;

/**
 * md5 first-two-bytes position of keys 0..count-1. `maxKeyBytes` bounds the bytes one key may take;
 * `unsafe(k)` says a key must not go to the kernel (it contains '\n' or '\r'); `text(k)` gives such a
 * key (and any the kernel leaves to JavaScript) as a string.
 */
export function md5Positions16(
  count: number,
  write: KeyWriter,
  opts: { maxKeyBytes: number; unsafe: (k: number) => boolean; text: (k: number) => string },
): Int32Array {
  const out = new Int32Array(count);
  if (count < KERNEL_FROM) {
    const key = Buffer.allocUnsafe(opts.maxKeyBytes);
    for (let k = 0; k < count; k++) {
      out[k] = opts.unsafe(k) ? md5Position16(opts.text(k)) : md5Position16OfBytes(key, write(k, key, 0));
    }
    return out;
  }
  const plain = new Uint8Array(256).fill(1);
  plain[0x0a] = 0;
  plain[0x0d] = 0;
  const kernel = new LocateKernel(plain, new Uint8Array(0), [], new Int32Array(0), 64);
  for (let first = 0; first < count; first += ROUND) {
    const last = Math.min(count, first + ROUND);
    kernel.reserveInput((last - first) * (opts.maxKeyBytes + 1));
    const buf = kernel.buf; // after reserveInput: growing replaces the views
    let o = kernel.inStart;
    for (let k = first; k < last; k++) {
      // An unsafe key takes an empty line: the kernel marks it off its path, and it is hashed below.
      if (!opts.unsafe(k)) o = write(k, buf, o);
      buf[o++] = 0x0a;
    }
    let p = kernel.inStart;
    let k = first;
    while (p < o) {
      const n = kernel.scan(p, o);
      kernel.hash(n, false);
      for (let i = 0; i < n; i++, k++) {
        const pos = kernel.position(i);
        out[k] = pos >= 0 ? pos : md5Position16(opts.text(k));
      }
      p = kernel.lineNext(n - 1);
    }
    if (k !== last) throw new Error(`md5Positions16: ${k - first} lines for ${last - first} keys`);
  }
  return out;
}
