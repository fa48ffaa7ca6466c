// Python string semantics the config readers depend on (whitespace set, str.strip, int(), float(),
// os.path.join / normpath), so values come out exactly as the Python programs see them.

/** Characters Python's str.isspace() accepts (JS \s differs: it has U+FEFF, lacks \x1c-\x1f and \x85). */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEAD = new RegExp(`^[${PY_WS}]+`);
const TRAIL = new RegExp(`[${PY_WS}]+$`);
const WS_CHAR = new RegExp(`^[${PY_WS}]$`);

export function isPySpace(ch: string): boolean {
  return WS_CHAR.test(ch);
}
export function pyStrip(s: string): string {
  return s.replace(LEAD, '').replace(TRAIL, '');
}
export function pyLstrip(s: string): string {
  return s.replace(LEAD, '');
}
export function pyRstrip(s: string): string {
  return s.replace(TRAIL, '');
}
/** Index of the first non-whitespace character (Python's \S), or -1. */
export function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) if (!isPySpace(s[i]!)) return i;
  return -1;
}

/** Python int(str): optional sign, decimal digits with single underscores between them, whitespace around. */
export function pyInt(text: string): bigint | undefined {
  const s = pyStrip(text);
  if (!/^[+-]?[0-9](_?[0-9])*$/.test(s)) return undefined;
  return BigInt(s.replaceAll('_', ''));
}

/** Python float(str): decimal/exponent forms with underscores, inf/infinity/nan in any case. */
export function pyFloat(text: string): number | undefined {
  const s = pyStrip(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    const name = special[2]!.toLowerCase();
    if (name === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const digits = '[0-9](?:_?[0-9])*';
  const re = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (!re.test(s)) return undefined;
  return Number(s.replaceAll('_', ''));
}

/** posixpath.join */
export function pyJoin(first: string, ...rest: string[]): string {
  let path = first;
  for (const b of rest) {
    if (b.startsWith('/')) path = b;
    else if (path === '' || path.endsWith('/')) path += b;
    else path += '/' + b;
  }
  return path;
}

/** posixpath.normpath */
export function pyNormpath(path: string): string {
  if (path === '') return '.';
  const initial = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (initial === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) out.push(comp);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined === '' ? '.' : joined;
}

/** posixpath.dirname */
export function pyDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head !== '' && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Known names closest to `name` (distance ≤ max(2, len/4)), best first. */
export function didYouMean(name: string, known: Iterable<string>, limit = 3): string[] {
  const max = Math.max(2, Math.floor(name.length / 4));
  const scored: [number, string][] = [];
  for (const k of known) {
    const d = editDistance(name, k);
    // A prefix of a known name (fnv1a → fnv1a_ch) counts as close too.
    if (d <= max || (name.length >= 3 && k.startsWith(name))) scored.push([d, k]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]));
  return scored.slice(0, limit).map(([, k]) => k);
}
