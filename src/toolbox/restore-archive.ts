// `ringshift restore` as a library (bucky restore): each whisper file of a tar archive (ours, or bucky
// tar's: entries named by storage path, `a/b/c.wsp`) goes to the metric's CURRENT owners under the
// cluster's ring. An owner without the file gets it whole (temp file beside it, fsynced, linked into
// place without replacing anything — a file carbon-cache created meanwhile is filled instead); an owner
// with the file gets a gap-only fill under carbon-cache's flock (its own points win). The whole archive
// is read and checked first (a tar, regular files with whisper paths, each a sound whisper file), so a
// bad archive is refused with one line before anything is written. Every step is journaled (intent
// fdatasynced before it, result after); both steps are idempotent, so running the same restore again
// after a crash finishes it.
import * as fs from 'node:fs';
import { posix } from 'node:path';
import tar from 'tar-stream';
import { DestinationMoved, remoteFillOnce } from '../apply/actions.js';
import { crashPoint } from '../apply/crash-points.js';
import { isRemote, type RemoteCapable } from '../apply/nodes.js';
import { nowIso, nowSeconds } from '../clock.js';
import { DataError, UsageError } from '../errors.js';
import { checkRelPath } from '../storage/driver.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import { pathToMetric } from '../storage/paths.js';
import { fillGaps } from '../whisper/fill-gaps.js';
import { verifyWhisperBuffer } from '../whisper/verify.js';
import type { ToolboxCluster } from './toolbox-cluster.js';
import type { ToolboxJournal } from './toolbox-journal.js';

/** Whisper files are small; an entry above this is not one carbon-cache wrote. */
const ENTRY_MAX = 4 * 1024 * 1024 * 1024;

export type RestoreResult = 'would-create' | 'would-fill' | 'created' | 'filled' | 'failed';

export interface RestoreEvent {
  metric: string;
  path: string;
  node: string;
  result: RestoreResult;
  /** Slots a fill wrote. */
  slots?: number;
  reason?: string;
}

export interface RestoreSummary {
  entries: number;
  /** Entries the metric filter left out. */
  filteredOut: number;
  /** Files created (the dry run: that would be). */
  created: number;
  /** Files filled (the dry run: that would be). */
  filled: number;
  slots: number;
  failed: number;
}

interface Entry {
  path: string;
  metric: string;
  data: Buffer;
  mode: number;
  mtime: Date | undefined;
}

/** Every entry of the archive, checked; `visit` sees each whole one in order. */
async function readArchive(archive: string, visit: (e: Entry) => Promise<void>): Promise<number> {
  const bad = (message: string): never => {
    throw new UsageError(message, { file: archive, expected: 'a tar of whisper files (ringshift backup, bucky tar)' });
  };
  let input: fs.ReadStream;
  try {
    fs.accessSync(archive, fs.constants.R_OK);
    if (!fs.statSync(archive).isFile()) bad('not a regular file');
    input = fs.createReadStream(archive);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return bad(`cannot read the archive: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const extract = tar.extract();
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract);
  let n = 0;
  try {
    for await (const item of extract) {
      const h = item.header;
      if (h.type === 'directory') {
        item.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') bad(`entry ${JSON.stringify(h.name)} is a ${h.type}, not a regular file`);
      let rel = h.name.replace(/^(\.\/)+/, '');
      try {
        rel = checkRelPath(rel);
      } catch {
        bad(`entry ${JSON.stringify(h.name)} leaves the storage root`);
      }
      const m = pathToMetric(rel);
      if (m.metric === null) bad(`entry ${JSON.stringify(h.name)} is not a whisper file of a metric (${m.note ?? m.kind})`);
      if ((h.size ?? 0) > ENTRY_MAX) bad(`entry ${JSON.stringify(h.name)} is ${h.size} bytes, too big for a whisper file`);
      const chunks: Buffer[] = [];
      for await (const c of item) chunks.push(c as Buffer);
      const data = Buffer.concat(chunks);
      const v = verifyWhisperBuffer(rel, data);
      if (!v.ok) bad(`entry ${JSON.stringify(h.name)} is not a sound whisper file: ${v.error ?? v.code ?? 'invalid'}`);
      n++;
      await visit({ path: rel, metric: m.metric!, data, mode: (h.mode ?? 0o644) & 0o777, mtime: h.mtime });
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof DataError) throw err;
    return bad(`not a tar archive: ${(err as Error).message}`);
  }
  if (n === 0) bad('the archive holds no whisper file');
  return n;
}

/**
 * A gap-only fill into a file on ssh:// storage: apply's remote fill (computed without the lock, written
 * under it once the slots are seen unchanged; started over when carbon-cache wrote them meanwhile).
 */
async function remoteFill(
  d: RemoteCapable,
  rel: string,
  image: { path: string; data: Buffer },
  now: number,
  lockTimeoutMs: number,
): Promise<number> {
  const ctx = { bucket: null, lockTimeoutMs, onWritten: () => {} };
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await remoteFillOnce(ctx, d, rel, image, now, d.url);
      if (r === 'dst-missing') throw new DataError('the file vanished while it was being filled', { file: `${d.url}/${rel}` });
      return r.slots;
    } catch (err) {
      if (err instanceof DestinationMoved && attempt < 4) continue;
      throw err;
    }
  }
}

export async function restoreArchive(
  cluster: ToolboxCluster,
  archive: string,
  opts: {
    dryRun: boolean;
    journal: ToolboxJournal | null;
    filter?: MetricFilter | null;
    lockTimeoutMs?: number;
    onEvent?: (e: RestoreEvent) => void;
  },
): Promise<RestoreSummary> {
  if (!opts.dryRun && opts.journal === null) throw new Error('restoreArchive: acting needs a journal');
  // Pass 1: the whole archive is sound, or nothing is written.
  await readArchive(archive, async () => {});
  const sum: RestoreSummary = { entries: 0, filteredOut: 0, created: 0, filled: 0, slots: 0, failed: 0 };
  const now = nowSeconds();
  const emit = (e: RestoreEvent) => {
    if (e.result === 'created' || e.result === 'would-create') sum.created++;
    else if (e.result === 'would-fill') sum.filled++;
    else if (e.result === 'filled') {
      sum.filled++;
      sum.slots += e.slots ?? 0;
    } else if (e.result === 'failed') sum.failed++;
    opts.onEvent?.(e);
  };
  await readArchive(archive, async (e) => {
    if (opts.filter != null && !opts.filter.matches({ metric: e.metric, path: e.path })) {
      sum.filteredOut++;
      return;
    }
    sum.entries++;
    const owners = cluster.owners(e.metric);
    if (owners.length === 0) {
      emit({ metric: e.metric, path: e.path, node: '-', result: 'failed', reason: 'no storage location owns it under the ring' });
      return;
    }
    for (const i of owners) {
      const loc = cluster.locations[i]!;
      const base = { metric: e.metric, path: e.path, node: loc.id };
      try {
        // A location whose directory does not exist yet (a new node) is created when something is written.
        if (opts.dryRun && cluster.isAbsent(i)) {
          emit({ ...base, result: 'would-create' });
          continue;
        }
        const d = await cluster.driver(i, true);
        const there = await d.stat(e.path);
        if (there !== null && there.type !== 'file') {
          emit({ ...base, result: 'failed', reason: `a ${there.type} is in the way` });
          continue;
        }
        if (opts.dryRun) {
          emit({ ...base, result: there === null ? 'would-create' : 'would-fill' });
          continue;
        }
        const j = opts.journal!;
        // The temp file has a fixed name beside the target, so one a killed run left is found and
        // removed: a half-written one, or a second link of a placed file (killed between the link and
        // the temp's unlink), which is why it is looked for beside a target that exists too.
        const tempName = `.${posix.basename(e.path).slice(0, 100)}.ringshift-restore.tmp`;
        const tempRel = posix.join(posix.dirname(e.path), tempName);
        const stale = await d.stat(tempRel);
        if (stale !== null && stale.type === 'file') await d.unlink(tempRel);
        if (there === null) {
          j.append([{ t: 'create', node: loc.id, path: e.path, bytes: e.data.length, at: nowIso() }]);
          crashPoint('restore-intent');
          try {
            await d.writeAtomic(e.path, e.data, {
              mode: e.mode,
              tempName,
              ...(e.mtime !== undefined ? { mtimeMs: e.mtime.getTime() } : {}),
            });
            crashPoint('restore-placed');
            j.append([{ t: 'result', node: loc.id, path: e.path, result: 'created' }]);
            emit({ ...base, result: 'created' });
            continue;
          } catch (err) {
            // carbon-cache created it meanwhile: fill it instead.
            if (!(err instanceof DataError && /refusing to replace existing/.test(err.message))) throw err;
          }
        }
        j.append([{ t: 'fill', node: loc.id, path: e.path, at: nowIso() }]);
        const image = { path: `${archive}:${e.path}`, data: e.data };
        const lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
        const slots = isRemote(d)
          ? await remoteFill(d, e.path, image, now, lockTimeoutMs)
          : (await fillGaps(image, `${loc.root}/${e.path}`, { now, lock: true, lockTimeoutMs })).total;
        j.append([{ t: 'result', node: loc.id, path: e.path, result: 'filled', slots }]);
        emit({ ...base, result: 'filled', slots });
      } catch (err) {
        emit({ ...base, result: 'failed', reason: err instanceof Error ? err.message : String(err) });
        opts.journal?.append([{ t: 'result', node: loc.id, path: e.path, result: 'failed', reason: String(err) }]);
      }
    }
  });
  return sum;
}
