// `ringshift backup` as a library (bucky tar, made whole): a tar of whisper files named by their storage
// path (`a/b/c.wsp`, as bucky tar names its entries), ONE entry per metric whose data is every copy in
// the cluster merged gap-only (owners first, in ring order, then strays; the first copy's points win a
// slot two copies have) — a backup holds what the cluster holds, not one replica's gaps. Streamed: the
// locations are listed one after another and a metric is archived when the first location holding it
// is listed (its other copies looked up by path on the later locations; one found on an earlier
// location means it was archived already), so memory is one metric's copies, never the tree. Written
// to a temp file beside the target, fsynced, renamed: an archive is whole or absent.
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { nowSeconds } from '../clock.js';
import { UsageError } from '../errors.js';
import { fsyncDirSync } from '../fs-durable.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import { fillGapsImages } from '../whisper/fill-gaps.js';
import { verifyWhisperBuffer } from '../whisper/verify.js';
import type { ToolboxCluster } from './toolbox-cluster.js';

/**
 * Kinds of files a backup holds: what carbon-cache writes for a name whose name the path tells (a
 * hashed tagged file's name cannot be recovered, so restore could not find its owners: left out).
 */
const ARCHIVED = new Set(['metric', 'trailing-dot', 'tagged']);

export interface BackupEvent {
  path: string;
  metric: string | null;
  /** Locations whose copy was merged into the entry (the first one's points win). */
  from: string[];
  bytes: number;
  /** Copies left out: not sound whisper files, or unreadable. */
  skipped: { node: string; reason: string }[];
}

export interface BackupSummary {
  metrics: number;
  bytes: number;
  /** Copies merged into entries (≥ metrics). */
  copies: number;
  skipped: number;
  /** Locations that could not be listed (or only in part). */
  failed: { id: string; error: string }[];
  archive: string;
}

export async function backupMetrics(
  cluster: ToolboxCluster,
  filter: MetricFilter | null,
  output: string,
  opts: { onMetric?: (e: BackupEvent) => void; onProgress?: (node: string, listed: number) => void } = {},
): Promise<BackupSummary> {
  const target = resolve(output);
  if (!fs.existsSync(dirname(target)))
    throw new UsageError(`cannot write the archive: directory ${dirname(target)} does not exist`, { file: output });
  const tmp = join(dirname(target), `.${basename(target)}.ringshift-${process.pid}.tmp`);
  const pack = tar.pack();
  const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  const written = pipeline(pack, out);
  const sum: BackupSummary = { metrics: 0, bytes: 0, copies: 0, skipped: 0, failed: [], archive: target };
  const now = nowSeconds();
  const locs = cluster.locations;
  const all = locs.map((_, i) => i).filter((i) => !cluster.isAbsent(i));
  try {
    for (const [k, i] of all.entries()) {
      const id = locs[i]!.id;
      try {
        const onProgress = opts.onProgress;
        for await (const batch of cluster.scan(i, filter, onProgress === undefined ? {} : { onProgress: (n) => onProgress(id, n) })) {
          for (const e of batch) {
            if (!ARCHIVED.has(e.kind)) continue;
            if (await heldEarlier(cluster, all.slice(0, k), e.path)) continue;
            const entry = await mergedEntry(cluster, e.path, e.metric, [i, ...all.slice(k + 1)], now);
            if (entry === null) continue;
            sum.skipped += entry.event.skipped.length;
            if (entry.data === null) {
              opts.onMetric?.(entry.event);
              continue;
            }
            await new Promise<void>((res, rej) =>
              pack.entry({ name: e.path, size: entry.data!.length, mode: entry.mode, mtime: entry.mtime }, entry.data!, (err) =>
                err ? rej(err) : res(),
              ),
            );
            sum.metrics++;
            sum.copies += entry.event.from.length;
            sum.bytes += entry.data.length;
            opts.onMetric?.(entry.event);
          }
        }
      } catch (err) {
        sum.failed.push({ id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    pack.finalize();
    await written;
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    fsyncDirSync(dirname(target));
    return sum;
  } catch (err) {
    pack.destroy();
    await written.catch(() => undefined);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Is `rel` on one of these (earlier) locations? Then it was archived when that one was listed. */
async function heldEarlier(cluster: ToolboxCluster, earlier: readonly number[], rel: string): Promise<boolean> {
  for (const j of earlier) {
    const st = await (await cluster.driver(j)).stat(rel);
    if (st !== null && st.type === 'file') return true;
  }
  return false;
}

/**
 * Every sound copy of `rel` on these locations, owners first, merged gap-only into the first one's image.
 * data null: no sound copy (the event says why).
 */
async function mergedEntry(
  cluster: ToolboxCluster,
  rel: string,
  metric: string | null,
  where: readonly number[],
  now: number,
): Promise<{ data: Buffer | null; mode: number; mtime: Date; event: BackupEvent } | null> {
  const owners = metric === null || cluster.setup.ring === null ? [] : cluster.owners(metric);
  const rank = (i: number) => (owners.includes(i) ? owners.indexOf(i) : owners.length + where.indexOf(i));
  const order = [...where].sort((a, b) => rank(a) - rank(b));
  const event: BackupEvent = { path: rel, metric, from: [], bytes: 0, skipped: [] };
  let base: { data: Buffer; mode: number; mtime: Date } | null = null;
  for (const i of order) {
    const id = cluster.locations[i]!.id;
    const d = await cluster.driver(i);
    const st = await d.stat(rel);
    if (st === null || st.type !== 'file') continue;
    let data: Buffer;
    try {
      data = await d.readFile(rel);
    } catch (err) {
      event.skipped.push({ node: id, reason: `unreadable: ${(err as Error).message}` });
      continue;
    }
    const v = verifyWhisperBuffer(`${id}:${rel}`, data);
    if (!v.ok) {
      event.skipped.push({ node: id, reason: `not a sound whisper file: ${v.error ?? v.code ?? 'invalid'}` });
      continue;
    }
    if (base === null) base = { data: Buffer.from(data), mode: st.mode & 0o777, mtime: new Date(st.mtimeMs) };
    else fillGapsImages({ path: `${id}:${rel}`, data }, { path: `backup:${rel}`, data: base.data }, { now });
    event.from.push(id);
  }
  if (event.from.length === 0 && event.skipped.length === 0) return null;
  if (base === null) return { data: null, mode: 0, mtime: new Date(0), event };
  event.bytes = base.data.length;
  return { ...base, event };
}
