// carbonate's carbon-path both ways, with carbon-cache's own mapping (src/storage/paths.ts): a name is
// normalised as carbon-cache stores it (tag order, a leading '~', doubled dots), tagged series go to
// `_tagged/<h[0:3]>/<h[3:6]>/<sha256 or name with _DOT_>.wsp`, and a path maps back to the name stored
// there (or says why it cannot: a hashed tagged file, a path carbon cannot have written).
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import { metricToPath, pathToMetric, WSP, type EntryKind } from '../storage/paths.js';
import { isTaggedName, storedName } from '../storage/tagged.js';

export interface NamePath {
  /** The name as given. */
  metric: string;
  /** The name carbon-cache stores (normalised). */
  stored: string;
  /** Relative to the storage root. */
  path: string;
  tagged: boolean;
}

/** Where carbon-cache stores `name` (TAG_HASH_FILENAMES = hashTagged, carbon's default true). */
export function nameToPath(name: string, hashTagged = true): NamePath {
  const stored = storedName(name);
  return { metric: name, stored, path: metricToPath(name, { hashTagged }), tagged: isTaggedName(stored) };
}

export interface PathName {
  /** The path as given. */
  given: string;
  /** Relative to the storage root. */
  path: string;
  /** The stored name, or null when the path names no recoverable metric. */
  metric: string | null;
  kind: Exclude<EntryKind, 'symlink' | 'unreadable'>;
  note?: string;
}

/**
 * The name stored at `given`: a path relative to a storage root, or an absolute one under one of
 * `roots` (the longest matching root is stripped). An absolute path under no root is a usage error.
 */
export function pathToName(given: string, roots: readonly string[] = []): PathName {
  let rel = given;
  if (rel.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) {
    const root = [...roots]
      .map((r) => (r.length > 1 && r.endsWith('/') ? r.slice(0, -1) : r))
      .filter((r) => rel === r || rel.startsWith(r === '/' ? '/' : `${r}/`))
      .sort((a, b) => b.length - a.length)[0];
    if (root === undefined) {
      throw new UsageError(`${given} is not under ${roots.length === 0 ? 'a storage root' : `any storage root (${roots.join(', ')})`}`, {
        expected:
          roots.length === 0 ? 'a path relative to the storage root, or --root DIR / --cluster FILE' : 'a path under a storage root',
      });
    }
    rel = rel.slice(root === '/' ? 1 : root.length + 1);
  }
  rel = posix.normalize(rel);
  if (rel.startsWith('./')) rel = rel.slice(2);
  if (!rel.endsWith(WSP)) return { given, path: rel, metric: null, kind: 'malformed', note: 'not a .wsp file' };
  const m = pathToMetric(rel);
  return { given, path: rel, metric: m.metric, kind: m.kind, ...(m.note !== undefined ? { note: m.note } : {}) };
}
