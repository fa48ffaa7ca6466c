// `ringshift plan` as a library: scan and classify the cluster (the audit's pipeline), turn each path
// group into actions, stream them into the plan file, and summarise.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { nowIso } from '../clock.js';
import { classifiedGroups, prepareAudit, type AuditInputs } from '../audit/audit-pipeline.js';
import type { Progress } from '../audit/stage-progress.js';
import { memberId } from '../ring/types.js';
import { checkRelPath, type StorageDriver } from '../storage/driver.js';
import { openDriver, type StorageLocation } from '../storage/locations.js';
import type { SshOptions } from '../storage/ssh-driver.js';
import { verifyWhisper, verifyWhisperBuffer } from '../whisper/verify.js';
import { PLAN_FORMAT, PLAN_VERSION, ringFingerprint, type PlanHeader, type PlanLocation } from './plan-file.js';
import { GroupPlanner, type HolderCheck } from './planner.js';
import { filesystemOf, overfull, PlanSummary, type FilesystemInfo, type SummaryView } from './summary.js';
import { PlanWriter } from './writer.js';
import { plural } from '../units.js';

export interface PlanInputs extends AuditInputs {
  /** Where to write the plan; undefined: dry run only. */
  output?: string;
  keepSource: boolean;
  moveSuspected: boolean;
  /** Refuse when a destination filesystem would pass this fraction (default 0.9). */
  maxFill: number;
  /** Bytes per second, for the estimate. */
  throughput: number;
  /** ISO time for the header (default now; RINGSHIFT_NOW pins it). */
  created?: string;
}

export type PlanResult = SummaryView;

/** Stat and verify one file: what the plan may rely on. */
export function checkFile(root: string, rel: string): HolderCheck | null {
  const abs = join(root, checkRelPath(rel));
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  const v = verifyWhisper(abs);
  const stamp = { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  if (!v.ok) return { ok: false, error: v.error ?? v.code ?? 'invalid', hasData: false, stamp };
  return { ok: true, hasData: (v.slotsUsed ?? []).some((n) => n > 0), stamp };
}

/** The same check through a driver (ssh:// storage): stat, read the whole file, verify it in memory. */
export async function checkRemoteFile(driver: StorageDriver, rel: string): Promise<HolderCheck | null> {
  const st = await driver.stat(rel);
  if (st === null || st.type !== 'file') return null;
  let data: Buffer;
  try {
    data = await driver.readFile(rel);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
  const v = verifyWhisperBuffer(rel, data);
  const stamp = { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  if (!v.ok) return { ok: false, error: v.error ?? v.code ?? 'invalid', hasData: false, stamp };
  return { ok: true, hasData: (v.slotsUsed ?? []).some((n) => n > 0), stamp };
}

/**
 * A remote filesystem from the driver's free space. Without statfs' free-block count the root-reserved
 * blocks count as used, so the fill fraction errs on the full side. Locations share a filesystem when
 * the host (key) and st_dev of their roots match.
 */
export async function remoteFilesystem(driver: StorageDriver): Promise<FilesystemInfo> {
  const free = await driver.freeSpace();
  const id = await driver.identity();
  const m = /^(.*):([0-9]+):[0-9]+$/.exec(id);
  return { dev: m === null ? id : `${m[1]}:${m[2]}`, used: free.total - free.available, capacity: free.total };
}

/** Where each location is, for the plan header: the absolute path of a local one, the ssh:// URL (with its host) of a remote one. */
export function headerLocations(locations: readonly StorageLocation[]): PlanLocation[] {
  return locations.map((l) => ({ id: l.id, url: l.scheme === 'file' ? l.root : l.url, members: l.members.map((m) => memberId(m)) }));
}

/** One driver per ssh:// location, opened on first use. */
class RemoteDrivers {
  private readonly open = new Map<number, Promise<StorageDriver>>();
  constructor(
    private readonly locations: readonly StorageLocation[],
    private readonly ssh: SshOptions | undefined,
  ) {}

  get(i: number): Promise<StorageDriver> {
    let d = this.open.get(i);
    if (d === undefined) this.open.set(i, (d = openDriver(this.locations[i]!, this.ssh === undefined ? {} : { ssh: this.ssh })));
    return d;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }
}

export async function runPlan(inputs: PlanInputs, progress?: Progress): Promise<PlanResult> {
  const prepared = await prepareAudit({ ...inputs, ...(progress !== undefined ? { progress } : {}) });
  const { setup, ctx } = prepared;
  const header: PlanHeader = {
    type: 'header',
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: inputs.created ?? nowIso(),
    ringFingerprint: ringFingerprint(setup.ring.spec),
    ring: setup.ring.spec,
    cluster: setup.cluster.path,
    locations: headerLocations(setup.locations),
    options: {
      keepSource: inputs.keepSource,
      moveSuspected: inputs.moveSuspected,
      ...(inputs.oldRing !== undefined ? { oldRing: inputs.oldRing } : {}),
      ...(inputs.names !== undefined ? { names: inputs.names } : {}),
      selfPrefixes: inputs.selfPrefixes ?? ['carbon'],
      maxFill: inputs.maxFill,
    },
  };
  let writer: PlanWriter | undefined;
  const summary = new PlanSummary();
  const remote = new RemoteDrivers(setup.locations, inputs.ssh);
  const planner = new GroupPlanner(ctx, { keepSource: inputs.keepSource, moveSuspected: inputs.moveSuspected }, (loc, path) => {
    const l = setup.locations[loc]!;
    return l.scheme === 'file' ? checkFile(l.root, path) : remote.get(loc).then((d) => checkRemoteFile(d, path));
  });
  try {
    if (inputs.output !== undefined) writer = PlanWriter.open(inputs.output, header);
    for await (const g of classifiedGroups(prepared, progress)) {
      const gp = await planner.plan(g);
      for (const a of gp.actions) {
        summary.addAction(a);
        writer?.action(a);
      }
      for (const s of gp.skips) {
        summary.addSkip(s);
        writer?.skip(s.skip);
      }
    }
    const destinations = await summary.destinations(setup.locations, async (l) =>
      l.scheme === 'file' ? filesystemOf(l.root) : remoteFilesystem(await remote.get(setup.locations.indexOf(l))),
    );
    const refused = overfull(destinations, inputs.maxFill);
    let written: string | null = null;
    if (writer !== undefined) {
      if (refused.length > 0) writer.abort();
      else {
        writer.commit();
        written = writer.path;
      }
    }
    const notes = [...setup.warnings];
    if (prepared.grouper.spilled) notes.push('the scan was grouped through temp files (more files than --spill-after)');
    const suspected = summary.skipCounts.get('double-dot-suspected') ?? 0;
    if (suspected > 0) {
      notes.push(
        `${plural(suspected, 'file was', 'files were')} left alone as suspected double-dot placements, a guess that a chance match makes likely ` +
          'with few locations: after a ring change give --old-ring; confirm or rule them out with --names; or move them with --move-suspected',
      );
    }
    return { summary, destinations, refused, maxFill: inputs.maxFill, throughput: inputs.throughput, written, notes };
  } catch (err) {
    writer?.abort();
    prepared.grouper.dispose();
    throw err;
  } finally {
    await remote.close();
  }
}
