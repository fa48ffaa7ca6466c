// `ringshift heal NODE --since T [--until T]`: bring a node back after an outage without a hole in its
// graphs. While NODE was down, the relays kept writing its metrics to the other replicas (RF ≥ 2) and,
// with a failover/any_of cluster, to nodes that do not own them ("strays"). Heal
//   1. folds the strays back: each file of a metric NODE owns, on a node that does not own it, with
//      points in the window is gap-filled into every owner (copied where one lacks it), then deleted — as a plan file run by the apply
//      executor, so every step is journaled, each delete waits until every owner is re-proven to hold
//      the stray's points, and a rerun resumes; files NODE owns but lacks are copied from a replica the
//      same way;
//   2. fills the window on each of NODE's files from the other replicas (and/or a mirror cluster,
//      --from-cluster): the backfill's windowed gap-only fill, which reads and writes only the window's
//      slots and never overwrites a point. It is idempotent, so running heal again is its resume.
// A stray that still receives points (a relay still sends there) is left alone and reported.
// Works on local storage (a host that mounts every location), like the backfill phase.
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { lastPointOf, liveWindow } from '../audit/liveness.js';
import { nowIso } from '../clock.js';
import { UsageError } from '../errors.js';
import { applyPlan, type ApplyOptions } from '../apply/executor.js';
import type { ApplyReport } from '../apply/apply-report.js';
import { windowedFill } from '../apply/windowed-fill.js';
import { journalDir } from '../apply/journal.js';
import { PLAN_FORMAT, PLAN_VERSION, ringFingerprint, type FileStamp, type PlanAction, type PlanHeader } from '../plan/plan-file.js';
import { headerLocations } from '../plan/run-plan.js';
import { PlanWriter } from '../plan/writer.js';
import { memberId } from '../ring/types.js';
import { checkRelPath } from '../storage/driver.js';
import type { ScanEntry } from '../storage/scan.js';
import { lockAll } from '../whisper/lock.js';
import { fsyncDirSync } from '../fs-durable.js';
import { tempNameFor } from '../whisper/durable-file.js';
import { ToolboxCluster } from './toolbox-cluster.js';

export interface HealOptions {
  /** The cluster file (the ring NODE is a member of). */
  cluster: string;
  /** NODE: a location id, storage key, member id or server. */
  node: string;
  /** The outage window, unix seconds: [since, until] (until defaults to now). */
  since: number;
  until: number;
  now: number;
  /** A mirror cluster holding the same metrics (another data centre): a source for the window. */
  fromCluster?: string | undefined;
  dryRun?: boolean | undefined;
  /** A stray with a point this recent is still written: left alone (default per file: max(10 min, 3 steps)). */
  liveWindow?: number | undefined;
  /** Where the plan of copies, stray fills and deletes goes (its journal beside it). */
  planPath: string;
  lockTimeoutMs?: number | undefined;
  concurrency?: number | undefined;
  /** Set on SIGINT/SIGTERM: the plan's actions in flight finish, the window fill stops between files. */
  interrupt?: { readonly signal: NodeJS.Signals | null } | undefined;
}

/** What one source gave (or would give) NODE and the owners. */
export interface HealSource {
  /** Location id (`mirror:ID` for a location of --from-cluster). */
  source: string;
  /** Window fills: NODE files filled from this source, slots written, bytes read and written. */
  windowFiles: number;
  slots: number;
  bytesRead: number;
  bytesWritten: number;
  /** Whole files copied (NODE lacked them). */
  copies: number;
  copyBytes: number;
  /** Strays here folded into their owners (and deleted), with their bytes. */
  strays: number;
  strayBytes: number;
}

export interface HealReport {
  node: string;
  since: number;
  until: number;
  dryRun: boolean;
  sources: HealSource[];
  /** Strays still receiving points: not touched. */
  liveStrays: { at: string; path: string; lastPoint: number }[];
  /** NODE-owned metrics no source holds a file of. */
  noSource: number;
  /** The executor's run of the plan (copies, stray fills, deletes), when there was one. */
  apply: ApplyReport | null;
  /** A plan of an earlier run that was resumed first. */
  resumed: ApplyReport | null;
  exitCode: number;
}

/** The kinds of file heal reads: names carbon-cache wrote. */
const METRIC_KINDS = new Set(['metric', 'tagged']);

function source(map: Map<string, HealSource>, id: string): HealSource {
  let s = map.get(id);
  if (s === undefined)
    map.set(
      id,
      (s = { source: id, windowFiles: 0, slots: 0, bytesRead: 0, bytesWritten: 0, copies: 0, copyBytes: 0, strays: 0, strayBytes: 0 }),
    );
  return s;
}

const stampOf = (e: ScanEntry): FileStamp => ({ size: e.size ?? 0, mtimeMs: e.mtime === null ? 0 : Math.round(e.mtime * 1000) });

function nodeIndex(cluster: ToolboxCluster, node: string): number {
  const members = cluster.locations.flatMap((l) => l.members.map((m) => memberId(m)));
  let hits: number[];
  try {
    hits = cluster.select(node).filter((i) => cluster.locations[i]!.members.length > 0);
  } catch {
    hits = [];
  }
  if (hits.length === 0)
    throw new UsageError(`${JSON.stringify(node)} is not a member of the ring of ${cluster.path}`, {
      expected: `a location id or member of: ${members.join(', ')}`,
    });
  if (hits.length > 1)
    throw new UsageError(
      `${JSON.stringify(node)} names ${hits.length} locations (${hits.map((i) => cluster.locations[i]!.id).join(', ')})`,
      {
        expected: 'a location id or a member id',
      },
    );
  return hits[0]!;
}

function refuseRemote(cluster: ToolboxCluster, what: string): void {
  const remote = cluster.locations.find((l) => l.scheme !== 'file');
  if (remote !== undefined)
    throw new UsageError(`heal works on local storage only; ${what} ${remote.id} is ${remote.root}`, {
      expected: 'run heal on a host that mounts every location, or give local roots',
    });
}

/** Copy a mirror's file to NODE, which lacks it: temp file, fsync, link (never replacing one carbon-cache made meanwhile). */
async function copyNew(src: string, dst: string, lockTimeoutMs: number): Promise<number | 'exists'> {
  const fd = fs.openSync(src, 'r');
  let data: Buffer;
  try {
    await lockAll([{ fd, path: src, mode: 'sh' }], lockTimeoutMs);
    data = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.mkdirSync(dirname(dst), { recursive: true });
  const tmp = tempNameFor(dst, 'heal');
  const out = fs.openSync(tmp, 'wx', 0o644);
  try {
    let n = 0;
    while (n < data.length) n += fs.writeSync(out, data, n, data.length - n, n);
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  try {
    fs.linkSync(tmp, dst);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
    fsyncDirSync(dirname(dst));
  }
  return data.length;
}

/** Run (resume) a heal plan; on success it and its journal are removed (every action is done). */
async function runHealPlan(planPath: string, o: HealOptions): Promise<ApplyReport> {
  const opts: ApplyOptions = { plan: planPath, cluster: o.cluster, concurrency: o.concurrency ?? 8, perNode: 4, interrupt: o.interrupt };
  if (o.lockTimeoutMs !== undefined) opts.lockTimeoutMs = o.lockTimeoutMs;
  const report = await applyPlan(opts);
  if (report.exitCode() === 0) {
    fs.rmSync(journalDir(planPath), { recursive: true, force: true });
    fs.rmSync(planPath, { force: true });
  }
  return report;
}

export async function healNode(o: HealOptions): Promise<HealReport> {
  if (!(o.since < o.until)) throw new UsageError('--since must be before --until', { expected: '--since -2h --until -1h' });
  if (o.since > o.now) throw new UsageError('--since is in the future', { expected: 'a time in the past: -2h, ISO 8601, unix seconds' });
  const cluster = await ToolboxCluster.open(o.cluster);
  const mirror = o.fromCluster === undefined ? null : await ToolboxCluster.open(o.fromCluster);
  try {
    const ring = cluster.setup.ring!;
    const nodeIdx = nodeIndex(cluster, o.node);
    const nodeId = cluster.locations[nodeIdx]!.id;
    if (ring.spec.replication < 2 && mirror === null)
      throw new UsageError(`${nodeId} has no other replica to heal from: ${cluster.path} has replication ${ring.spec.replication}`, {
        expected: '--from-cluster MIRROR: a cluster that holds the same metrics',
      });
    refuseRemote(cluster, 'location');
    if (mirror !== null) refuseRemote(mirror, 'mirror location');
    if (cluster.isAbsent(nodeIdx))
      throw new UsageError(`${nodeId}: ${cluster.locations[nodeIdx]!.root} does not exist`, {
        expected: 'the node back with its storage mounted',
      });
    const root = (c: ToolboxCluster, i: number) => c.locations[i]!.root;
    const nodeRoot = root(cluster, nodeIdx);
    const dryRun = o.dryRun === true;
    const sources = new Map<string, HealSource>();
    const report: HealReport = {
      node: nodeId,
      since: o.since,
      until: o.until,
      dryRun,
      sources: [],
      liveStrays: [],
      noSource: 0,
      apply: null,
      resumed: null,
      exitCode: 0,
    };

    // An interrupted earlier run: finish its plan first (its journal says what is done).
    const planPath = resolve(o.planPath);
    if (!dryRun && fs.existsSync(planPath)) {
      report.resumed = await runHealPlan(planPath, o);
      if (report.resumed.exitCode() !== 0) {
        report.exitCode = report.resumed.exitCode();
        return report;
      }
    }

    // 1. The plan: NODE's missing files from a replica; strays into every owner, then deleted.
    const actions: PlanAction[] = [];
    let id = 0;
    const copied = new Set<string>();
    for (let i = 0; i < cluster.locations.length; i++) {
      if (i === nodeIdx || cluster.isAbsent(i)) continue;
      const loc = cluster.locations[i]!;
      for await (const batch of cluster.scan(i, null, { stat: true })) {
        for (const e of batch) {
          if (!METRIC_KINDS.has(e.kind) || e.metric === null) continue;
          const owners = cluster.owners(e.metric);
          const path = checkRelPath(e.path);
          if (owners.includes(i)) {
            // A replica of a metric NODE owns, which NODE lacks (created while it was down).
            if (!owners.includes(nodeIdx) || copied.has(path) || fs.existsSync(join(nodeRoot, path))) continue;
            copied.add(path);
            actions.push({ type: 'action', id: id++, op: 'copy', metric: e.metric, path, from: loc.id, to: nodeId, source: stampOf(e) });
            const s = source(sources, loc.id);
            s.copies++;
            s.copyBytes += e.size ?? 0;
            continue;
          }
          // Not an owner of a metric NODE owns (a relay diverts only a down member's share): a stray when it
          // holds points in the window. Other misplaced files are a ring change's leftovers: plan's business.
          if (!owners.includes(nodeIdx)) continue;
          if (e.mtime !== null && e.mtime < o.since) continue; // cannot hold a point after `since`
          const last = lastPointOf(join(loc.root, path));
          if (last === undefined || last.lastPoint === null || last.lastPoint < o.since) continue;
          if (last.lastPoint > o.now - liveWindow(last.step, { now: o.now, window: o.liveWindow })) {
            report.liveStrays.push({ at: loc.id, path, lastPoint: last.lastPoint });
            continue;
          }
          const after: number[] = [];
          for (const w of owners) {
            const to = cluster.locations[w]!.id;
            const dst = join(root(cluster, w), path);
            let dest: FileStamp | null = null;
            try {
              const st = fs.statSync(dst);
              dest = { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
            } catch {
              dest = null;
            }
            after.push(id);
            if (dest === null)
              actions.push({ type: 'action', id: id++, op: 'copy', metric: e.metric, path, from: loc.id, to, source: stampOf(e) });
            else actions.push({ type: 'action', id: id++, op: 'fill', metric: e.metric, path, from: loc.id, to, source: stampOf(e), dest });
          }
          if (after.length === 0) continue; // no owner with storage: nothing to fold into
          actions.push({ type: 'action', id: id++, op: 'delete', metric: e.metric, path, at: loc.id, source: stampOf(e), after });
          const s = source(sources, loc.id);
          s.strays++;
          s.strayBytes += e.size ?? 0;
        }
      }
    }
    // A replica's copy and a stray's copy into the same NODE file: the executor fills when the file exists already.
    if (actions.length > 0 && !dryRun) {
      const header: PlanHeader = {
        type: 'header',
        format: PLAN_FORMAT,
        version: PLAN_VERSION,
        created: nowIso(),
        ringFingerprint: ringFingerprint(ring.spec),
        ring: ring.spec,
        cluster: resolve(o.cluster),
        locations: headerLocations(cluster.locations),
        options: { keepSource: false, moveSuspected: false, heal: { node: nodeId, since: o.since, until: o.until } },
      };
      const w = PlanWriter.open(planPath, header);
      try {
        for (const a of actions) w.action(a);
        w.commit();
      } catch (err) {
        w.abort();
        throw err;
      }
      report.apply = await runHealPlan(planPath, o);
      if (report.apply.exitCode() !== 0) report.exitCode = report.apply.exitCode();
    }

    // 2. The window on every file NODE owns, from each other replica and the mirror's owners.
    const stopped = () => o.interrupt?.signal != null;
    const fillOne = async (src: string, dst: string, s: HealSource) => {
      if (stopped()) return;
      const r = await windowedFill(src, dst, { now: o.now, from: o.since, until: o.until + 1, lockTimeoutMs: o.lockTimeoutMs, dryRun });
      s.windowFiles++;
      s.slots += r.filled;
      s.bytesRead += r.bytesRead;
      s.bytesWritten += r.bytesWritten;
    };
    for await (const batch of cluster.scan(nodeIdx, null)) {
      if (stopped()) break;
      for (const e of batch) {
        if (!METRIC_KINDS.has(e.kind) || e.metric === null) continue;
        const owners = cluster.owners(e.metric);
        if (!owners.includes(nodeIdx)) continue;
        const path = checkRelPath(e.path);
        const dst = join(nodeRoot, path);
        let had = false;
        for (const i of owners) {
          if (i === nodeIdx) continue;
          const src = join(root(cluster, i), path);
          if (!fs.existsSync(src)) continue;
          had = true;
          await fillOne(src, dst, source(sources, cluster.locations[i]!.id));
        }
        if (mirror !== null)
          for (const i of mirror.owners(e.metric)) {
            const src = join(root(mirror, i), path);
            if (!fs.existsSync(src)) continue;
            had = true;
            await fillOne(src, dst, source(sources, `mirror:${mirror.locations[i]!.id}`));
          }
        if (!had) report.noSource++;
      }
    }
    // The mirror's files of metrics NODE owns and lacks: copied whole.
    if (mirror !== null)
      for (let i = 0; i < mirror.locations.length; i++) {
        if (mirror.isAbsent(i)) continue;
        for await (const batch of mirror.scan(i, null, { stat: true })) {
          if (stopped()) break;
          for (const e of batch) {
            if (!METRIC_KINDS.has(e.kind) || e.metric === null || !cluster.owners(e.metric).includes(nodeIdx)) continue;
            const path = checkRelPath(e.path);
            const dst = join(nodeRoot, path);
            if (copied.has(path) || fs.existsSync(dst)) continue;
            copied.add(path);
            const s = source(sources, `mirror:${mirror.locations[i]!.id}`);
            s.copies++;
            s.copyBytes += e.size ?? 0;
            if (dryRun) continue;
            const r = await copyNew(join(root(mirror, i), path), dst, o.lockTimeoutMs ?? 30_000);
            if (r === 'exists') await fillOne(join(root(mirror, i), path), dst, s);
          }
        }
      }
    if (stopped() && report.exitCode === 0) report.exitCode = 1;
    report.sources = [...sources.values()].sort((a, b) => a.source.localeCompare(b.source));
    return report;
  } finally {
    await cluster.close();
    await mirror?.close();
  }
}
