// The HTML page of a single command (`ring diff --html`, `audit --html`, `plan --html`): the sections
// that command's result fills, from the same objects its --json prints.
import type { AuditResult } from '../audit/run-audit.js';
import { describeSpec } from '../config/ring-source.js';
import type { PlanResult } from '../plan/run-plan.js';
import { summaryJson } from '../plan/summary.js';
import type { Ring, RingSpec } from '../ring/types.js';
import { nowIso } from '../clock.js';
import type { AuditDigestBuilder } from './collect-audit.js';
import { ColourKeys, movedPositions, registerColours, ringPanel } from './collect-rings.js';
import type { AuditSummaryJson, PlanJson, PlanPhaseParts, ReportInput, RingDiffJson } from './report-input.js';

/** The --html flag's description, the same on every command that has it. */
export const HTML_FLAG_DESCRIPTION = 'Also write the result as a self-contained HTML report to this file (charts with their tables).';

export function diffReportInput(o: {
  from: Ring;
  to: Ring;
  fromSpec: RingSpec;
  toSpec: RingSpec;
  fromArg: string;
  toArg: string;
  json: Record<string, unknown>;
  namesFile?: string | undefined;
}): ReportInput {
  const colours = new ColourKeys();
  registerColours(colours, [o.from, o.to]);
  const moved = movedPositions(o.from, o.to);
  const input: ReportInput = {
    title: 'ringshift ring diff',
    generated: nowIso(),
    sources: [
      { label: 'from', value: o.fromArg },
      { label: 'to', value: o.toArg },
      ...(o.namesFile !== undefined ? [{ label: 'names', value: o.namesFile }] : []),
    ],
    colours: {},
    rings: {
      before: ringPanel(o.from, 'From', describeSpec(o.fromSpec, o.from.members.length)),
      after: ringPanel(o.to, 'To', describeSpec(o.toSpec, o.to.members.length)),
      ...(moved ? { moved } : {}),
    },
    moves: { diff: o.json as unknown as RingDiffJson, ...(o.namesFile !== undefined ? { metricsSource: `names in ${o.namesFile}` } : {}) },
  };
  input.colours = colours.toJson();
  return input;
}

export function auditReportInput(result: AuditResult, digest: AuditDigestBuilder, clusterPath: string): ReportInput {
  const colours = new ColourKeys();
  registerColours(colours, [result.setup.ring], result.setup.locations);
  const ring = result.setup.ring;
  return {
    title: `ringshift audit: ${clusterPath}`,
    generated: nowIso(),
    sources: [{ label: 'cluster', value: clusterPath }],
    colours: colours.toJson(),
    rings: { after: ringPanel(ring, 'Ring', describeSpec(ring.spec, ring.members.length)) },
    audit: { summary: result.summary as unknown as AuditSummaryJson, digest: digest.digest() },
    ...(result.notes.length > 0 ? { notes: result.notes } : {}),
  };
}

/** A plan result as the report reads it: the planner's phases and read impact in their JSON shapes. */
export type PlanReportSource = Omit<PlanResult, 'runbook' | 'readImpact'> & PlanPhaseParts;

export function planReportInput(result: PlanReportSource, clusterPath: string): ReportInput {
  const colours = new ColourKeys();
  for (const d of result.destinations) colours.slot(d.id);
  const json = planJson(result);
  for (const p of json.pairs) colours.slot(p.from);
  return {
    title: `ringshift plan: ${clusterPath}`,
    generated: nowIso(),
    sources: [{ label: 'cluster', value: clusterPath }, ...(result.written !== null ? [{ label: 'plan', value: result.written }] : [])],
    colours: colours.toJson(),
    plan: { json, source: result.written === null ? 'A dry run (nothing written).' : `Written to ${result.written}.` },
  };
}

/** `plan --json`'s object, with a phased plan's phases and the read impact when the planner gives them. */
export function planJson(result: PlanReportSource): PlanJson {
  const json = summaryJson(result) as unknown as PlanJson;
  if (result.runbook !== undefined) json.runbook = { phases: [...result.runbook.phases] };
  if (result.readImpact !== undefined) json.readImpact = result.readImpact;
  return json;
}
