// `ringshift plan` as a library: scan and classify the cluster (the audit's pipeline), turn each path
// group into actions, stream them into the plan file, and summarise.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { classifiedGroups, prepareAudit, type AuditInputs } from '../audit/run.js';
import type { Progress } from '../audit/progress.js';
import { memberId } from '../ring/types.js';
import { checkRelPath } from '../storage/driver.js';
import { verifyWhisper } from '../whisper/verify.js';
import { PLAN_FORMAT, PLAN_VERSION, ringFingerprint, type PlanHeader } from './format.js';
import { GroupPlanner, type HolderCheck } from './planner.js';
import { overfull, PlanSummary, type SummaryView } from './summary.js';
import { PlanWriter } from './writer.js';

export { GroupPlanner, type HolderCheck, type PlannerOptions, type Verifier } from './planner.js';
export { PlanSummary, renderSummaryText, summaryJson, overfull, filesystemOf } from './summary.js';
export { PlanWriter } from './writer.js';

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

function createdTime(): string {
  const pinned = process.env.RINGSHIFT_NOW;
  const ms = pinned !== undefined && /^[0-9]+$/.test(pinned) ? Number(pinned) * 1000 : Date.now();
  return new Date(ms).toISOString();
}

export async function runPlan(inputs: PlanInputs, progress?: Progress): Promise<PlanResult> {
  const prepared = await prepareAudit({ ...inputs, ...(progress !== undefined ? { progress } : {}) });
  const { setup, ctx } = prepared;
  const header: PlanHeader = {
    type: 'header',
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: inputs.created ?? createdTime(),
    ringFingerprint: ringFingerprint(setup.ring.spec),
    ring: setup.ring.spec,
    cluster: setup.cluster.path,
    locations: setup.locations.map((l) => ({ id: l.id, url: l.root, members: l.members.map((m) => memberId(m)) })),
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
  const planner = new GroupPlanner(ctx, { keepSource: inputs.keepSource, moveSuspected: inputs.moveSuspected }, (loc, path) =>
    checkFile(setup.locations[loc]!.root, path),
  );
  try {
    if (inputs.output !== undefined) writer = PlanWriter.open(inputs.output, header);
    for await (const g of classifiedGroups(prepared, progress)) {
      const gp = planner.plan(g);
      for (const a of gp.actions) {
        summary.addAction(a);
        writer?.action(a);
      }
      for (const s of gp.skips) {
        summary.addSkip(s);
        writer?.skip(s.skip);
      }
    }
    const destinations = summary.destinations(setup.locations);
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
        `${suspected} files were left alone as suspected double-dot placements, a guess that a chance match makes likely ` +
          'with few locations: after a ring change give --old-ring; confirm or rule them out with --names; or move them with --move-suspected',
      );
    }
    return { summary, destinations, refused, maxFill: inputs.maxFill, throughput: inputs.throughput, written, notes };
  } catch (err) {
    writer?.abort();
    prepared.grouper.dispose();
    throw err;
  }
}
