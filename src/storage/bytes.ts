// File names are bytes on Linux. Names that are not UTF-8 cannot become metric names; they are shown
// with the offending bytes escaped so a report never crashes on them and never prints raw garbage.

/**
 * Length of the valid UTF-8 sequence starting at b[i], or 0 when the byte there starts none.
 * Self-contained (no imports): the walk workers run it from its source text.
 */
export function utf8SeqLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f; // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + len > b.length) return 0;
  const c1 = b[i + 1]!;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < len; k++) {
    const ck = b[i + k]!;
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return len;
}

/**
 * Printable rendering of raw name bytes: valid UTF-8 stays as is, every other byte becomes `\xNN`, and
 * a backslash becomes `\\` so the rendering is unambiguous. Self-contained apart from utf8SeqLength (the
 * walk workers run it from its source text).
 */
export function escapeBytes(b: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const len = utf8SeqLength(b, i);
    if (len === 0) {
      s += '\\x' + b[i]!.toString(16).padStart(2, '0');
      i++;
    } else if (len === 1) {
      s += b[i] === 0x5c ? '\\\\' : String.fromCharCode(b[i]!);
      i++;
    } else {
      s += Buffer.from(b.buffer, b.byteOffset + i, len).toString('utf8');
      i += len;
    }
  }
  return s;
}
