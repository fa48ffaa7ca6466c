// `ringshift delete` as a library (bucky delete, carbonate's whisper file removal across a cluster):
// every whisper file passing the metric filter on every selected location — owner copies and stray
// ones alike, since the scan lists what is on disk, not what the ring says — reported as it would be
// deleted (the dry run), or deleted. Each file is re-checked right before its unlink (still there,
// still a regular file, not a symlink), the intent is journaled and synced before the unlink and the
// result after. Directories the deletes leave empty are removed bottom-up, never a storage root.
// Deleting happens while the location is still being listed (a listed file is gone for good; the
// listing never needs it again); directories are only removed once the listing has finished.
import { posix } from 'node:path';
import pLimit from 'p-limit';
import { nowIso } from '../clock.js';
import type { StorageDriver } from '../storage/driver.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import type { ScanEntry } from '../storage/scan.js';
import type { ToolboxCluster } from './toolbox-cluster.js';
import type { ToolboxJournal } from './toolbox-journal.js';
import { removeEmptyDirs } from '../storage/empty-dirs.js';

export type DeleteResult = 'would-delete' | 'deleted' | 'already-gone' | 'skipped' | 'failed';

export interface DeleteEvent {
  node: string;
  path: string;
  metric: string | null;
  bytes: number;
  result: DeleteResult;
  /** Why a file was skipped or failed. */
  reason?: string;
}

export interface DeleteSummary {
  /** Files deleted (or that would be). */
  files: number;
  bytes: number;
  /** Directories removed because the deletes left them empty (dry run: 0). */
  dirs: number;
  skipped: number;
  failed: number;
  /** Locations where at least one file matched. */
  nodes: string[];
  /** Locations that could not be listed (or only in part). */
  unreachable: { id: string; error: string }[];
}

export interface DeleteOptions {
  /** Act (false: the dry run). */
  yes: boolean;
  /** Required when acting. */
  journal: ToolboxJournal | null;
  /** Called for each matching file as it is handled, in no particular order across locations. */
  onFile(e: DeleteEvent): void;
  /** Unlinks in flight per location. */
  concurrency?: number;
  onProgress?: (node: string, listed: number) => void;
}

/** Kinds a delete may remove: regular files carbon-cache could have written. */
const DELETABLE = new Set(['metric', 'trailing-dot', 'tagged', 'tagged-hashed']);

export async function deleteMetrics(
  cluster: ToolboxCluster,
  selected: readonly number[],
  filter: MetricFilter,
  opts: DeleteOptions,
): Promise<DeleteSummary> {
  if (opts.yes && opts.journal === null) throw new Error('deleteMetrics: acting needs a journal');
  const sum: DeleteSummary = { files: 0, bytes: 0, dirs: 0, skipped: 0, failed: 0, nodes: [], unreachable: [] };
  const touched = new Set<string>();
  await Promise.all(
    selected.map(async (i) => {
      const id = cluster.locations[i]!.id;
      const dirs = new Set<string>();
      const limit = pLimit(opts.concurrency ?? 8);
      const emit = (e: DeleteEvent) => {
        touched.add(id);
        if (e.result === 'deleted' || e.result === 'would-delete') {
          sum.files++;
          sum.bytes += e.bytes;
        } else if (e.result === 'skipped') sum.skipped++;
        else if (e.result === 'failed') sum.failed++;
        opts.onFile(e);
      };
      try {
        for await (const batch of cluster.scan(i, filter, {
          stat: true,
          ...(opts.onProgress !== undefined ? { onProgress: (n: number) => opts.onProgress!(id, n) } : {}),
        })) {
          const ok: ScanEntry[] = [];
          for (const e of batch) {
            if (DELETABLE.has(e.kind)) ok.push(e);
            else emit({ ...eventOf(e), result: 'skipped', reason: `${e.kind}${e.note !== undefined ? `: ${e.note}` : ''}; not deleted` });
          }
          if (ok.length === 0) continue;
          if (!opts.yes) {
            for (const e of ok) emit({ ...eventOf(e), result: 'would-delete' });
            continue;
          }
          const driver = await cluster.driver(i);
          opts.journal!.append(ok.map((e) => ({ t: 'delete', node: id, path: e.path, size: e.size, mtime: e.mtime, at: nowIso() })));
          const done = await Promise.all(ok.map((e) => limit(() => deleteOne(driver, e))));
          opts.journal!.append(
            done.map((e) => ({ t: 'result', node: id, path: e.path, result: e.result, ...(e.reason ? { reason: e.reason } : {}) })),
          );
          for (const e of done) {
            if (e.result === 'deleted') dirs.add(posix.dirname(e.path));
            emit(e);
          }
        }
        if (opts.yes && dirs.size > 0) {
          const removed = await removeEmptyDirs(await cluster.driver(i), dirs);
          if (removed.length > 0) opts.journal!.append(removed.map((d) => ({ t: 'rmdir', node: id, path: d, at: nowIso() })));
          sum.dirs += removed.length;
        }
      } catch (err) {
        sum.unreachable.push({ id, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  sum.nodes = selected.map((i) => cluster.locations[i]!.id).filter((id) => touched.has(id));
  return sum;
}

function eventOf(e: ScanEntry): Omit<DeleteEvent, 'result'> {
  return { node: e.node, path: e.path, metric: e.metric, bytes: e.size ?? 0 };
}

/** Re-check, then unlink one file. */
async function deleteOne(driver: StorageDriver, e: ScanEntry): Promise<DeleteEvent> {
  const base = eventOf(e);
  try {
    const st = await driver.stat(e.path);
    if (st === null) return { ...base, result: 'already-gone' };
    if (st.type !== 'file') return { ...base, result: 'skipped', reason: `now a ${st.type}; not deleted` };
    await driver.unlink(e.path);
    return { ...base, bytes: st.size, result: 'deleted' };
  } catch (err) {
    return { ...base, result: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }
}
