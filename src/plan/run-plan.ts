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
import { PHASED_PLAN_VERSION, PLAN_FORMAT, PLAN_VERSION, ringFingerprint, type PlanHeader, type PlanLocation } from './plan-file.js';
import { GroupPlanner, type HolderCheck } from './planner.js';
import { filesystemOf, overfull, PlanSummary, type FilesystemInfo, type SummaryView } from './summary.js';
import { PlanWriter } from './writer.js';
import { plural } from '../units.js';
import { UsageError } from '../errors.js';
import type { ChangeReport } from './change-kind.js';
import type { ReadImpactReport } from './read-impact.js';
import { RunbookBuilder } from './runbook-builder.js';
import type { PlanRunbook, SwitchSpec } from './runbook.js';
import { switchConfigs, writeConfigs, type ConfigEdit, type ConfigLinter } from './switch-configs.js';

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
  /** --phased: write the phased runbook (needs oldRing: the ring the relays use now). */
  phased?: boolean;
  /** --configs: the config files/directories the switch rewrites (relays, webapps, carbonate, cluster file). */
  configs?: readonly string[];
  /** --write-configs DIR: write the edited configs there (when the plan is written). */
  writeConfigs?: string;
  /** Finds and lints the --configs files (src/lint's, handed in by the command). Needed with configs. */
  configLinter?: ConfigLinter;
  /** Directory config paths are resolved against and shown relative to (default cwd). */
  cwd?: string;
}

export interface PlanResult extends SummaryView {
  /** Phased plans: phases, switch edits, change analysis. */
  runbook?: PlanRunbook;
  /** Every plan: what the graphs' readers see during each phase. */
  readImpact?: ReadImpactReport;
  change?: ChangeReport;
  /** Files written by --write-configs. */
  configsWritten?: string[];
}

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
  return { ok: true, hasData: (v.slotsUsed ?? []).some((n) => n > 0), stamp, layout: layoutOf(v) };
}

function layoutOf(v: ReturnType<typeof verifyWhisper>): { step: number; points: number }[] {
  return (v.info?.archives ?? []).map((a) => ({ step: a.secondsPerPoint, points: a.points }));
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
  return { ok: true, hasData: (v.slotsUsed ?? []).some((n) => n > 0), stamp, layout: layoutOf(v) };
}

/**
 * A remote filesystem from the driver's free space, counted like the local one: used = total - free,
 * capacity = used + available (root-reserved blocks are neither). Locations share a filesystem when
 * the host (key) and st_dev of their roots match.
 */
export async function remoteFilesystem(driver: StorageDriver): Promise<FilesystemInfo> {
  const free = await driver.freeSpace();
  const id = await driver.identity();
  const m = /^(.*):([0-9]+):[0-9]+$/.exec(id);
  const used = free.total - free.free;
  return { dev: m === null ? id : `${m[1]}:${m[2]}`, used, capacity: used + free.available };
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
  const phased = inputs.phased === true;
  if (phased && inputs.oldRing === undefined)
    throw new UsageError('--phased needs --old-ring RING: the ring the relays send by now', {
      expected: 'plan --cluster NEW --old-ring OLD --phased',
    });
  if (inputs.writeConfigs !== undefined && (inputs.configs === undefined || inputs.configs.length === 0))
    throw new UsageError('--write-configs needs --configs PATH: the config files to rewrite', {
      expected: '--configs DIR --write-configs OUTDIR',
    });
  const prepared = await prepareAudit({ ...inputs, ...(progress !== undefined ? { progress } : {}) });
  const { setup, ctx } = prepared;
  const header: PlanHeader = {
    type: 'header',
    format: PLAN_FORMAT,
    version: phased ? PHASED_PLAN_VERSION : PLAN_VERSION,
    ...(phased ? { phased: true } : {}),
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
  // The layouts the current group's holders were verified with (for the runbook's estimates).
  const layouts = new Map<string, { step: number; points: number }[]>();
  const remember = (loc: number, path: string, c: HolderCheck | null): HolderCheck | null => {
    if (c?.layout !== undefined) layouts.set(`${setup.locations[loc]!.id}\0${path}`, c.layout);
    return c;
  };
  const planner = new GroupPlanner(ctx, { keepSource: inputs.keepSource, moveSuspected: inputs.moveSuspected, phased }, (loc, path) => {
    const l = setup.locations[loc]!;
    return l.scheme === 'file'
      ? remember(loc, path, checkFile(l.root, path))
      : remote.get(loc).then(async (d) => remember(loc, path, await checkRemoteFile(d, path)));
  });
  const book = new RunbookBuilder(ctx, phased, inputs.throughput);
  try {
    if (inputs.output !== undefined) writer = PlanWriter.open(inputs.output, header);
    for await (const g of classifiedGroups(prepared, progress)) {
      layouts.clear();
      const gp = await planner.plan(g);
      for (const a of gp.actions) {
        book.tag(a);
        summary.addAction(a);
        writer?.action(a);
      }
      book.observe(g, gp, (loc, path) => layouts.get(`${loc}\0${path}`));
      for (const s of gp.skips) {
        summary.addSkip(s);
        writer?.skip(s.skip);
      }
    }
    const destinations = await summary.destinations(setup.locations, async (l) =>
      l.scheme === 'file' ? filesystemOf(l.root) : remoteFilesystem(await remote.get(setup.locations.indexOf(l))),
    );
    const refused = overfull(destinations, inputs.maxFill);
    // The switch: the user's configs rewritten to the new ring, linted.
    let sw: SwitchSpec = { configs: [], manual: [], lint: { errors: 0, warnings: 0, messages: [] } };
    let edits: ConfigEdit[] = [];
    const cwd = inputs.cwd ?? process.cwd();
    if (inputs.configs !== undefined && inputs.configs.length > 0 && ctx.old !== undefined) {
      if (inputs.configLinter === undefined) throw new Error('runPlan: configs given without a configLinter');
      const r = await switchConfigs(inputs.configLinter, inputs.configs, ctx.old.ring.spec, ctx.current.ring.spec, cwd);
      sw = r.spec;
      edits = r.edits;
    }
    const runbook = phased ? book.record(sw) : undefined;
    let written: string | null = null;
    let configsWritten: string[] | undefined;
    if (writer !== undefined) {
      if (refused.length > 0) writer.abort();
      else {
        if (runbook !== undefined) writer.record(runbook);
        writer.commit();
        written = writer.path;
        if (inputs.writeConfigs !== undefined && sw.lint.errors === 0) configsWritten = writeConfigs(edits, inputs.writeConfigs, cwd);
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
    const result: PlanResult = { summary, destinations, refused, maxFill: inputs.maxFill, throughput: inputs.throughput, written, notes };
    result.readImpact = book.readImpact();
    if (runbook !== undefined) result.runbook = runbook;
    if (book.change !== undefined) result.change = book.change;
    if (configsWritten !== undefined) result.configsWritten = configsWritten;
    if (inputs.writeConfigs !== undefined && sw.lint.errors > 0)
      notes.push(`--write-configs: nothing written, the edited configs do not lint clean (${plural(sw.lint.errors, 'error')})`);
    return result;
  } catch (err) {
    writer?.abort();
    prepared.grouper.dispose();
    throw err;
  } finally {
    await remote.close();
  }
}
