// File names as the file system has them. Linux names are bytes; most are UTF-8 and travel as strings,
// but a name that is not (read from a directory or a NUL-separated list) travels as its raw bytes,
// which Node opens as given, and is shown with its odd bytes escaped.

/** A file name: a string, or the raw bytes of a name that is not UTF-8. */
export type FsPath = string | Buffer;

/** A name for messages and reports: the string itself, or the bytes with each byte outside printable ASCII (and \) as \xNN. */
export function pathText(p: FsPath): string {
  if (typeof p === 'string') return p;
  let out = '';
  for (const b of p) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** The name as a string when its bytes are UTF-8 (the usual case), else the bytes themselves. */
export function fsPathOf(bytes: Buffer): FsPath {
  const s = bytes.toString('utf8');
  return Buffer.byteLength(s) === bytes.length && !s.includes('\ufffd') ? s : Buffer.from(bytes);
}

/** `dir` + '/' + `name`, as bytes when either is. */
export function joinFsPath(dir: FsPath, name: FsPath): FsPath {
  if (typeof dir === 'string' && typeof name === 'string') return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  return d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.concat([d, n]) : Buffer.concat([d, Buffer.from('/'), n]);
}
