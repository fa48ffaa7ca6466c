// `ringshift audit` as a library: classify every file of a cluster and count the findings.
import { describeSpec } from '../config/ring-source.js';
import { groupFindings } from './classify.js';
import type { Progress } from './stage-progress.js';
import { AuditTally } from './audit-report.js';
import { classifiedGroups, prepareAudit, type AuditInputs, type ClusterSetup } from './audit-pipeline.js';
import type { AuditFinding } from './audit-findings.js';
import { plural } from '../units.js';

export interface AuditResult {
  setup: ClusterSetup;
  tally: AuditTally;
  /** Lines for the report: ring, names file, spilling. */
  notes: string[];
  summary: Record<string, unknown>;
}

/** Scan and classify the whole cluster; every finding (ok included) goes to `onFinding`. */
export async function runAudit(
  inputs: AuditInputs,
  onFinding: (f: AuditFinding) => void | Promise<void>,
  progress?: Progress,
): Promise<AuditResult> {
  const prepared = await prepareAudit({ ...inputs, ...(progress !== undefined ? { progress } : {}) });
  const { setup, ctx, grouper } = prepared;
  const tally = new AuditTally();
  const spilled = grouper.spilled;
  for await (const g of classifiedGroups(prepared, progress)) {
    for (const f of groupFindings(g, ctx)) {
      tally.add(f);
      await onFinding(f);
    }
  }
  const notes = [...setup.warnings];
  if (ctx.names !== undefined)
    notes.push(`--names: ${plural(ctx.names.lines, 'line')}, ${plural(ctx.names.anomalous, 'raw name')} stored under another name`);
  const summary: Record<string, unknown> = {
    ...tally.toJson(setup.locations),
    ring: describeSpec(setup.ring.spec, setup.ring.members.length),
    relay: ctx.cleansing ? 'cleanses names (carbon-c-relay)' : ctx.rawHashing ? 'hashes raw names' : 'other',
    locations: setup.locations.map((l, i) => ({ id: l.id, root: l.root, members: l.members.length, files: prepared.scanned[i] })),
    spilled,
    warnings: setup.warnings,
  };
  if (ctx.old !== undefined) summary.oldRing = describeSpec(ctx.old.ring.spec, ctx.old.ring.members.length);
  if (ctx.names !== undefined) summary.names = { lines: ctx.names.lines, anomalous: ctx.names.anomalous };
  return { setup, tally, notes, summary };
}
