// `ringshift stale` as a library: every whisper file of the selected locations (filtered), dated by
// mtime or by its finest archive's newest point (src/toolbox/staleness.ts), reported as it goes.
import pLimit from 'p-limit';
import { RingshiftError } from '../errors.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import type { ScanEntry } from '../storage/scan.js';
import { fileDataAge, staleByMtime, type StaleBy } from './staleness.js';
import type { ToolboxCluster } from './toolbox-cluster.js';

export interface StaleOptions {
  by: StaleBy;
  /** Seconds. */
  olderThan: number;
  /** Unix seconds. */
  now: number;
  filter: MetricFilter | null;
  /** Files read at once per location (--by data). */
  concurrency?: number;
  onProgress?: (node: string, files: number) => void;
}

export interface StaleRecord {
  metric: string | null;
  path: string;
  node: string;
  /** Seconds since the epoch. */
  mtime: number;
  /** --by data: the newest point of the finest archive (null: none). */
  lastPoint?: number | null;
  stale: boolean;
}

export interface StaleProblem {
  node: string;
  path: string;
  error: string;
}

export interface StaleSummary {
  files: number;
  stale: number;
  problems: number;
  /** Locations that could not be read (whole or in part). */
  failedLocations: string[];
}

/** Check every selected location; `emit` gets each file's record (the caller prints stale or fresh ones). */
export async function findStale(
  cluster: ToolboxCluster,
  selected: readonly number[],
  o: StaleOptions,
  emit: (r: StaleRecord) => void | Promise<void>,
  problem: (p: StaleProblem) => void,
): Promise<StaleSummary> {
  const sum: StaleSummary = { files: 0, stale: 0, problems: 0, failedLocations: [] };
  for (const i of selected) {
    const loc = cluster.locations[i]!;
    const limit = pLimit(o.concurrency ?? 16);
    try {
      for await (const batch of cluster.scan(i, o.filter, {
        stat: true,
        ...(o.onProgress !== undefined ? { onProgress: (n: number) => o.onProgress!(loc.id, n) } : {}),
      })) {
        const files = batch.filter((e) => e.kind !== 'symlink' && e.kind !== 'unreadable');
        const records = await Promise.all(files.map((e) => limit(() => check(cluster, i, e, o))));
        for (let k = 0; k < files.length; k++) {
          const r = records[k]!;
          if (typeof r === 'string') {
            sum.problems++;
            problem({ node: loc.id, path: files[k]!.path, error: r });
            continue;
          }
          sum.files++;
          if (r.stale) sum.stale++;
          await emit(r);
        }
      }
    } catch (err) {
      const msg = err instanceof RingshiftError ? err.describe() : err instanceof Error ? err.message : String(err);
      problem({ node: loc.id, path: '', error: `${msg}; not checked (or only in part)` });
      sum.failedLocations.push(loc.id);
    }
  }
  return sum;
}

async function check(cluster: ToolboxCluster, i: number, e: ScanEntry, o: StaleOptions): Promise<StaleRecord | string> {
  const base = { metric: e.metric, path: e.path, node: e.node, mtime: e.mtime ?? 0 };
  if (o.by === 'mtime') return { ...base, stale: staleByMtime(e.mtime ?? 0, o.now, o.olderThan) };
  try {
    const age = await fileDataAge(await cluster.driver(i), e.path, e.size ?? 0, o.now, o.olderThan);
    return { ...base, lastPoint: age.lastPoint, stale: !age.fresh };
  } catch (err) {
    if (err instanceof RingshiftError) return err.message;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone while it was read';
    throw err;
  }
}
