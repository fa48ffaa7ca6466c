// One reusable scratch buffer for the UTF-8 bytes of the string being hashed. Hashing is synchronous
// and single-threaded, so every hash function can share it; nothing here allocates per call once the
// buffer is large enough for the longest name seen.

const encoder = new TextEncoder();

/** Room for the bytes plus MD5 padding (up to 72 extra bytes). Grown on demand, never shrunk. */
let buf = new Uint8Array(1024);

/** The scratch buffer. Re-read it after every encodeUtf8() call: growing replaces it. */
export function scratch(): Uint8Array {
  return buf;
}

/** Make sure the scratch buffer holds at least `n` bytes (contents are not preserved). */
export function ensureScratch(n: number): Uint8Array {
  if (buf.length < n) {
    let size = buf.length;
    while (size < n) size *= 2;
    buf = new Uint8Array(size);
  }
  return buf;
}

/**
 * Write the UTF-8 encoding of `s` to the scratch buffer and return its length. ASCII is copied in a
 * tight loop; the first non-ASCII character hands the rest to TextEncoder.encodeInto. Lone surrogates
 * become U+FFFD, as in every encoder that produces valid UTF-8.
 */
export function encodeUtf8(s: string): number {
  const n = s.length;
  // Worst case 3 bytes per UTF-16 unit, plus MD5 padding room.
  if (buf.length < n * 3 + 72) ensureScratch(n * 3 + 72);
  const b = buf;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      const r = encoder.encodeInto(i === 0 ? s : s.slice(i), i === 0 ? b : b.subarray(i));
      return i + r.written;
    }
    b[i] = c;
  }
  return n;
}
