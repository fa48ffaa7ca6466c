// Storage roots that would make a scan or a shuffle destroy data: `/` (an audit walks the whole
// filesystem, a plan deletes files that are no whisper tree's), and two locations of which one lies
// inside the other (the outer one's scan sees the inner one's files under bogus names, and a plan made
// from that copies them there and deletes them as strays). Several members writing the SAME directory
// is fine: that is one location. Both entries are named, with their lines.
import { realpathSync } from 'node:fs';
import { dirname, basename, join, resolve, sep } from 'node:path';
import type { ClusterFile, StorageEntry } from '../config/cluster-file.js';
import { ConfigError } from '../errors.js';

interface Root {
  entry: StorageEntry;
  /** host ('' for local) and absolute path, both as compared. */
  host: string;
  path: string;
}

/** The real path of `p`, or of its nearest existing parent joined with the rest (a node not created yet). */
function realish(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(realish(parent), basename(abs));
  }
}

function rootOf(e: StorageEntry): Root {
  const m = /^ssh:\/\/(?:[^@/]*@)?([^/:]+|\[[^\]]+\])(?::[0-9]+)?(\/.*)?$/i.exec(e.location);
  if (m !== null) return { entry: e, host: m[1]!.toLowerCase(), path: normalise(m[2] ?? '/') };
  return { entry: e, host: '', path: realish(e.location) };
}

function normalise(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return '/' + parts.join('/');
}

function inside(inner: string, outer: string): boolean {
  if (outer === '/' || outer === sep) return inner !== outer;
  return inner.startsWith(outer.endsWith('/') ? outer : outer + '/');
}

function where(e: StorageEntry, file: string): string {
  return `${e.key} (${e.location}${e.line !== undefined ? `, ${file}:${e.line}` : ''})`;
}

/** Refuse a storage root of `/` and roots that contain one another. */
export function checkStorageRoots(cluster: ClusterFile): void {
  const roots = cluster.storage.map(rootOf);
  for (const r of roots) {
    if (r.path === '/') {
      throw new ConfigError(`storage ${JSON.stringify(r.entry.key)} is the filesystem root ${r.entry.location}`, {
        file: cluster.path,
        ...(r.entry.line !== undefined ? { line: r.entry.line } : {}),
        expected: "the carbon-cache's whisper directory (LOCAL_DATA_DIR), e.g. /var/lib/graphite/whisper",
      });
    }
  }
  for (let i = 0; i < roots.length; i++) {
    for (let j = 0; j < roots.length; j++) {
      const a = roots[i]!;
      const b = roots[j]!;
      if (i === j || a.host !== b.host || !inside(a.path, b.path)) continue;
      throw new ConfigError(
        `storage ${where(a.entry, cluster.path)} lies inside storage ${where(b.entry, cluster.path)}: a scan of ${b.entry.key} would take ${a.entry.key}'s files for its own`,
        {
          file: cluster.path,
          ...(a.entry.line !== undefined ? { line: a.entry.line } : {}),
          expected: 'separate whisper directories (members that share one directory name the same path)',
        },
      );
    }
  }
}
