// Scan a storage location: every .wsp under its root with the name carbon-cache stored it under, and
// what kind of entry it is. This is the stream the placement audit classifies.
import type { ListOptions, StorageDriver, WalkEntry } from './driver.js';
import type { StorageLocation } from './locations.js';
import { openDriver } from './locations.js';
import { pathToMetric, WSP } from './paths.js';
import type { SshOptions } from './ssh-driver.js';
import type { EntryKind } from './paths.js';

export interface ScanEntry {
  /** Canonical (stored) metric name; null for hashed tagged files, unreadable or malformed entries. */
  metric: string | null;
  /** POSIX path relative to the location root (escaped when the name is not UTF-8: kind 'malformed'). */
  path: string;
  /** Bytes; null unless the scan was asked to stat. */
  size: number | null;
  /** Modification time, seconds since the epoch (millisecond precision); null unless stat was asked. */
  mtime: number | null;
  /** Location id (see StorageLocation.id), or the scanned root for a plain path scan. */
  node: string;
  kind: EntryKind;
  note?: string;
}

export type ScanOptions = Pick<ListOptions, 'stat' | 'followSymlinks' | 'concurrency' | 'batchSize' | 'onProgress'>;

/** Map one listing entry to a scan entry. */
export function toScanEntry(w: WalkEntry, node: string): ScanEntry {
  const size = w.size ?? null;
  const mtime = w.mtimeMs === undefined ? null : Math.round(w.mtimeMs) / 1000;
  if (w.type === 'unreadable') {
    return { metric: null, path: w.rel, size, mtime, node, kind: 'unreadable', note: w.note ?? 'unreadable' };
  }
  if (w.badName === true) {
    const what = w.type === 'symlink' ? 'symlink' : 'file';
    return {
      metric: null,
      path: w.rel,
      size,
      mtime,
      node,
      kind: 'malformed',
      note: `${what} name is not valid UTF-8 (path shown escaped)`,
    };
  }
  if (w.type === 'symlink') {
    const m = w.rel.endsWith(WSP) ? pathToMetric(w.rel) : null;
    const arrow = w.target === undefined ? 'symlink' : `-> ${w.target}`;
    return {
      metric: m?.metric ?? null,
      path: w.rel,
      size,
      mtime,
      node,
      kind: 'symlink',
      note: w.note === undefined ? `${arrow}; not followed` : `${arrow}; ${w.note}`,
    };
  }
  const m = pathToMetric(w.rel);
  const e: ScanEntry = { metric: m.metric, path: w.rel, size, mtime, node, kind: m.kind };
  const note = m.note === undefined ? w.note : w.note === undefined ? m.note : `${m.note}; ${w.note}`;
  if (note !== undefined) e.note = note;
  return e;
}

/** Directory parts that need the careful mapping: dots, tags, line breaks, '~', the _tagged tree. */
const DIR_NOT_PLAIN = /[.;\n\r]|^~|^_tagged(?:\/|$)/;
const NAME_NOT_PLAIN = /[;\n\r]/;

/**
 * toScanEntry with a per-directory shortcut: entries of one directory arrive together and share its
 * string, so the directory's metric prefix is worked out once and a plain file name only appends.
 */
export class ScanMapper {
  private dir: string | null = null;
  private prefix = '';
  private plain = false;

  constructor(private readonly node: string) {}

  map(w: WalkEntry): ScanEntry {
    if (w.type !== 'file' || w.badName === true || w.note !== undefined) return toScanEntry(w, this.node);
    if (w.dir !== this.dir) {
      this.dir = w.dir;
      this.prefix = w.dir === '' ? '' : w.dir.replaceAll('/', '.') + '.';
      this.plain = !DIR_NOT_PLAIN.test(w.dir);
    }
    const name = w.name;
    const stem = name.length - WSP.length;
    if (
      !this.plain ||
      stem <= 0 ||
      name.indexOf('.') !== stem ||
      !name.endsWith(WSP) ||
      NAME_NOT_PLAIN.test(name) ||
      (w.dir === '' && name.charCodeAt(0) === 0x7e)
    ) {
      return toScanEntry(w, this.node);
    }
    return {
      metric: this.prefix + name.slice(0, stem),
      path: w.rel,
      size: w.size ?? null,
      mtime: w.mtimeMs === undefined ? null : Math.round(w.mtimeMs) / 1000,
      node: this.node,
      kind: 'metric',
    };
  }
}

/** Scan through an open driver, in batches. */
export async function* scanDriver(driver: StorageDriver, node: string, opts: ScanOptions = {}): AsyncGenerator<ScanEntry[]> {
  const mapper = new ScanMapper(node);
  for await (const batch of driver.list(opts)) {
    const out = new Array<ScanEntry>(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = mapper.map(batch[i]!);
    yield out;
  }
}

/** Scan a location in batches (the fast form). Opens and closes its driver (ssh options for ssh:// ones). */
export async function* scanLocationBatches(
  location: StorageLocation,
  opts: ScanOptions & { ssh?: SshOptions | undefined } = {},
): AsyncGenerator<ScanEntry[]> {
  const driver = await openDriver(location, opts.ssh === undefined ? {} : { ssh: opts.ssh });
  try {
    yield* scanDriver(driver, location.id, opts);
  } finally {
    await driver.close();
  }
}

/** Scan a location one entry at a time. */
export async function* scanLocation(
  location: StorageLocation,
  opts: ScanOptions & { ssh?: SshOptions | undefined } = {},
): AsyncGenerator<ScanEntry> {
  for await (const batch of scanLocationBatches(location, opts)) yield* batch;
}
