// Metric name ↔ whisper path, exactly as carbon-cache maps them (database.py getFilesystemPath +
// util.py TaggedSeries.encode). Paths here are POSIX and relative to the storage root.
import { DataError } from '../errors.js';
import { isTaggedName, storedName, taggedHash } from './tagged.js';

export const WSP = '.wsp';
export const TAGGED_DIR = '_tagged';

/** What a file under a storage root is. */
export type EntryKind =
  /** an ordinary name: `a/b/c.wsp` ↔ `a.b.c` */
  | 'metric'
  /** `a/b/.wsp` ↔ `a.b.` (carbon writes a hidden file for a trailing dot) */
  | 'trailing-dot'
  /** `_tagged/xxx/yyy/<name, '.' as _DOT_>.wsp`, name recovered and checked against the hash dirs */
  | 'tagged'
  /** `_tagged/xxx/yyy/<sha256>.wsp` (TAG_HASH_FILENAMES=True): the name cannot be recovered */
  | 'tagged-hashed'
  /** a symbolic link (not followed unless asked) */
  | 'symlink'
  /** a path carbon-cache cannot have written for any name; `note` says why */
  | 'malformed'
  /** a directory that could not be read (permissions, I/O error); `note` has the error */
  | 'unreadable';

export interface MetricToPathOptions {
  /** carbon's TAG_HASH_FILENAMES (default true): tagged files are named by their sha256. */
  hashTagged?: boolean;
  /** Apply carbon-cache's name normalisation first (default true; carbon-cache always does). */
  normalize?: boolean;
}

/**
 * Where carbon-cache stores `name`, relative to LOCAL_DATA_DIR, as the OS resolves it: `a..b.c` →
 * `a/b/c.wsp` (the doubled slash collapses), `.a.b` → `a/b.wsp`, `a.b.` → `a/b/.wsp`, `a.b/c` →
 * `a/b/c.wsp`; tagged names go to `_tagged/<h[0:3]>/<h[3:6]>/<h or name with . → _DOT_>.wsp`, h being
 * the sha256 of the normalised name. No name can produce a `..` segment: every '.' becomes '/' (or _DOT_).
 */
export function metricToPath(name: string, opts: MetricToPathOptions = {}): string {
  if (name.includes('\0')) throw new DataError(`metric name contains a NUL byte: ${JSON.stringify(name)}`);
  const stored = opts.normalize === false ? name : storedName(name);
  if (isTaggedName(stored)) {
    const h = taggedHash(stored);
    const file = opts.hashTagged === false ? stored.replaceAll('.', '_DOT_') : h;
    return collapseSlashes(`${TAGGED_DIR}/${h.slice(0, 3)}/${h.slice(3, 6)}/${file}${WSP}`);
  }
  return collapseSlashes(stored.replaceAll('.', '/') + WSP);
}

/** Drop empty segments like the kernel does (`a//b` is `a/b`, a leading '/' is carbon's lstrip). */
function collapseSlashes(p: string): string {
  if (!p.includes('//') && p[0] !== '/') return p;
  return p
    .split('/')
    .filter((s) => s !== '')
    .join('/');
}

export interface PathMapping {
  /** The canonical (stored) name, or null when the path names no recoverable metric. */
  metric: string | null;
  kind: Exclude<EntryKind, 'symlink' | 'unreadable'>;
  note?: string;
}

/** A stem that needs the careful path: dots, tags, line breaks, '~', _tagged/, empty segments. */
const NOT_PLAIN = /[.;\n\r]|^~|^_tagged\/|\/\/|^\/|\/$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Most `_DOT_` readings tried when a tagged file name does not match its hash directories. */
const MAX_DOT_VARIANTS = 256;

/**
 * The name carbon-cache stored at `rel` (POSIX, relative to the root, ending in `.wsp`):
 * `a/b/c.wsp` → `a.b.c`; `a/b/.wsp` → `a.b.` (trailing-dot); `_tagged/…` → the tagged name or
 * tagged-hashed. Paths carbon cannot have produced (a '.' inside a segment, a tagged name whose hash
 * directories do not match, line breaks) are 'malformed' and carry a note.
 */
export function pathToMetric(rel: string): PathMapping {
  // Fast path for the overwhelmingly common plain name (the scan calls this once per file).
  if (rel.endsWith(WSP)) {
    const stem = rel.slice(0, -WSP.length);
    if (stem !== '' && !NOT_PLAIN.test(stem)) return { metric: stem.replaceAll('/', '.'), kind: 'metric' };
  }
  if (!rel.endsWith(WSP)) return { metric: null, kind: 'malformed', note: 'not a .wsp file' };
  if (/[\n\r]/.test(rel)) return { metric: null, kind: 'malformed', note: 'line break in the path' };
  const segs = rel.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) {
    return { metric: null, kind: 'malformed', note: 'not a normalised relative path' };
  }
  if (segs[0] === TAGGED_DIR && segs.length >= 4) {
    const tagged = taggedPathToMetric(segs);
    if (tagged !== null) return tagged;
  }
  const last = segs.length - 1;
  segs[last] = segs[last]!.slice(0, -WSP.length);
  for (let i = 0; i <= last; i++) {
    if (segs[i]!.includes('.')) {
      return {
        metric: null,
        kind: 'malformed',
        note: `'.' inside the path segment ${JSON.stringify(segs[i])}: carbon writes every '.' as a directory level`,
      };
    }
  }
  if (segs[last] === '') {
    segs.pop();
    return { metric: segs.join('.') + '.', kind: 'trailing-dot' };
  }
  const metric = segs.join('.');
  const mapping: PathMapping = { metric, kind: 'metric' };
  if (metric.includes(';')) {
    mapping.note = "contains ';': carbon-cache would store this name under _tagged/ (go-carbon without tags writes it here)";
  } else if (segs[0] === TAGGED_DIR) {
    mapping.note = 'under _tagged/ but not a tagged-series file name';
  } else if (metric[0] === '~') {
    mapping.note = "leading '~': carbon-cache strips it before storing";
  }
  return mapping;
}

/** `_tagged/xxx/yyy/<rest>.wsp`; null when it is not a tagged-series file name at all. */
function taggedPathToMetric(segs: string[]): PathMapping | null {
  const [, d1, d2] = segs as [string, string, string];
  const stem = segs.slice(3).join('/').slice(0, -WSP.length);
  if (HEX64.test(stem)) {
    if (stem.startsWith(d1 + d2) && d1.length === 3 && d2.length === 3) {
      return {
        metric: null,
        kind: 'tagged-hashed',
        note: 'hashed file name (TAG_HASH_FILENAMES): the name needs a tag index or a name list',
      };
    }
    return {
      metric: null,
      kind: 'malformed',
      note: `hashed tagged file in the wrong directory (expected ${TAGGED_DIR}/${stem.slice(0, 3)}/${stem.slice(3, 6)}/)`,
    };
  }
  if (!stem.includes(';')) return null;
  if (stem.includes('.')) {
    return { metric: null, kind: 'malformed', note: "'.' in a tagged file name: carbon writes every '.' as _DOT_" };
  }
  const prefix = d1 + '/' + d2;
  for (const name of dotReadings(stem)) {
    const h = taggedHash(name);
    if (h.slice(0, 3) + '/' + h.slice(3, 6) === prefix) {
      const mapping: PathMapping = { metric: name, kind: 'tagged' };
      if (storedName(name) !== name) mapping.note = "not in carbon's normalised tag order";
      return mapping;
    }
  }
  return {
    metric: null,
    kind: 'malformed',
    note: `tagged file name ${JSON.stringify(stem.replaceAll('_DOT_', '.'))} does not hash to ${TAGGED_DIR}/${prefix}/`,
  };
}

/**
 * Names whose _DOT_ encoding is `encoded`: every `_DOT_` read as '.' first (the usual case), then
 * readings that keep some literally (a name that really contained "_DOT_"), at most MAX_DOT_VARIANTS.
 */
function* dotReadings(encoded: string): Generator<string> {
  const all = encoded.replaceAll('_DOT_', '.');
  yield all;
  if (!encoded.includes('_DOT_')) return;
  let produced = 1;
  const stack: { i: number; acc: string }[] = [{ i: 0, acc: '' }];
  while (stack.length > 0 && produced < MAX_DOT_VARIANTS) {
    const { i, acc } = stack.pop()!;
    const at = encoded.indexOf('_DOT_', i);
    if (at < 0) {
      const name = acc + encoded.slice(i);
      if (name !== all) {
        produced++;
        yield name;
      }
      continue;
    }
    // Literal '_' first on the stack bottom, so the all-dots-first order holds.
    stack.push({ i: at + 1, acc: acc + encoded.slice(i, at + 1) });
    stack.push({ i: at + 5, acc: acc + encoded.slice(i, at) + '.' });
  }
}
