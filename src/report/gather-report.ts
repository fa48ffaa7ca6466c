// `ringshift report` as a library: gather every section's data with the functions the commands use —
// ring show and ring diff (src/ring/analysis), the audit (src/audit), a dry-run plan or a plan file
// (src/plan), the journals (src/apply), lint (src/lint) — into one ReportInput for renderReport.
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { loadOldRing, openCluster } from '../audit/audit-pipeline.js';
import { runAudit } from '../audit/run-audit.js';
import type { Progress } from '../audit/stage-progress.js';
import type { GrouperOptions } from '../audit/group.js';
import type { AuditFinding } from '../audit/audit-findings.js';
import { describeSpec } from '../config/ring-source.js';
import { nameBatches } from '../input/names.js';
import { lintPaths } from '../lint/run-lint.js';
import { remoteFilesystem, runPlan } from '../plan/run-plan.js';
import { filesystemOf } from '../plan/summary.js';
import { planJson } from './command-reports.js';
import { diffRings } from '../ring/analysis/diff.js';
import { diffJson } from '../ring-output/ring-report.js';
import { openDriver, type StorageLocation } from '../storage/locations.js';
import type { SshOptions } from '../storage/ssh-driver.js';
import { nowIso } from '../clock.js';
import { AuditDigestBuilder } from './collect-audit.js';
import { lintInput } from './collect-lint.js';
import { planJsonFromFile } from './collect-plan-file.js';
import { collectProgress } from './collect-progress.js';
import { ColourKeys, movedPositions, registerColours, ringPanel } from './collect-rings.js';
import type { AuditSummaryJson, PlanJson, ReportInput, RingDiffJson } from './report-input.js';

export interface GatherOptions {
  clusterPath: string;
  oldRing?: string | undefined;
  /** A plan file: the plan section from it, and the progress from its journals. */
  plan?: string | undefined;
  names?: string | undefined;
  namesSample?: boolean | undefined;
  /** Config paths to lint (with the cluster file). */
  lint?: readonly string[] | undefined;
  selfPrefixes?: readonly string[] | undefined;
  ssh?: SshOptions | undefined;
  grouper?: GrouperOptions | undefined;
  maxFill: number;
  throughput: number;
  progress?: Progress | undefined;
  /** Also write every audit finding (NDJSON) here; the report links to it. */
  findingsFile?: string | undefined;
  /** Where the report will be written (links are made relative to it). */
  output?: string | undefined;
  lintDocsBase?: string | undefined;
}

/** Findings whose metric counts as a name on disk (for the metric flows when no names file is given). */
const NAMED_KINDS = new Set(['ok', 'misplaced', 'extra-copy', 'missing-replica']);

export async function gatherReport(o: GatherOptions): Promise<ReportInput> {
  const setup = await openCluster(o.clusterPath);
  const old = o.oldRing === undefined ? undefined : await loadOldRing(o.oldRing);
  const colours = new ColourKeys();
  registerColours(colours, old ? [old, setup.ring] : [setup.ring], setup.locations);
  const link = (file: string): string => (o.output === undefined ? file : relative(dirname(resolve(o.output)), resolve(file)) || file);
  const input: ReportInput = {
    title: `ringshift report: ${o.clusterPath}`,
    generated: nowIso(),
    sources: [{ label: 'cluster', value: o.clusterPath }],
    colours: {},
  };
  if (o.oldRing !== undefined) input.sources.push({ label: 'old ring', value: o.oldRing });
  if (o.plan !== undefined) input.sources.push({ label: 'plan', value: o.plan });
  if (o.names !== undefined) input.sources.push({ label: 'names', value: o.names });
  if (o.lint !== undefined) input.sources.push({ label: 'lint', value: o.lint.join(' ') });

  const after = ringPanel(setup.ring, old ? 'New ring' : 'Ring', describeSpec(setup.ring.spec, setup.ring.members.length));
  input.rings = { after };
  if (old) {
    input.rings.before = ringPanel(old, 'Old ring', describeSpec(old.spec, old.members.length));
    const moved = movedPositions(old, setup.ring);
    if (moved) input.rings.moved = moved;
  }

  // The audit; its findings also give the top prefixes, the examples and (without --names) the names on disk.
  const digest = new AuditDigestBuilder();
  const scratch =
    old !== undefined && o.names === undefined ? mkdtempSync(join(o.grouper?.tmpDir ?? tmpdir(), 'ringshift-report-')) : undefined;
  const namesOut = scratch === undefined ? undefined : fs.createWriteStream(join(scratch, 'names.txt'));
  const findingsOut = o.findingsFile === undefined ? undefined : fs.createWriteStream(o.findingsFile);
  let lastName: string | null = null;
  try {
    const auditInputs = {
      clusterPath: o.clusterPath,
      ...(o.ssh !== undefined ? { ssh: o.ssh } : {}),
      ...(o.grouper !== undefined ? { grouper: o.grouper } : {}),
      ...(o.oldRing !== undefined ? { oldRing: o.oldRing } : {}),
      ...(o.names !== undefined ? { names: o.names, namesSample: o.namesSample === true } : {}),
      ...(o.selfPrefixes !== undefined ? { selfPrefixes: o.selfPrefixes } : {}),
    };
    const onFinding = async (f: AuditFinding): Promise<void> => {
      digest.add(f);
      if (findingsOut !== undefined && !findingsOut.write(JSON.stringify(f) + '\n')) await once(findingsOut);
      if (namesOut !== undefined && f.metric !== null && NAMED_KINDS.has(f.kind) && f.metric !== lastName && !f.metric.includes('\n')) {
        lastName = f.metric;
        if (!namesOut.write(f.metric + '\n')) await once(namesOut);
      }
    };
    const audit = await runAudit(auditInputs, onFinding, o.progress);
    await Promise.all([close(namesOut), close(findingsOut)]);
    input.audit = {
      summary: audit.summary as unknown as AuditSummaryJson,
      digest: digest.digest(),
      ...(o.findingsFile !== undefined ? { findingsFile: link(o.findingsFile) } : {}),
    };

    // The plan: from the plan file (and its journals), or a dry run now.
    let plan: PlanJson;
    if (o.plan !== undefined) {
      const progress = await collectProgress(o.plan);
      input.progress = progress.json;
      plan = await planJsonFromFile(o.plan, {
        locations: setup.locations,
        statfs: statfsWith(o.ssh),
        throughput: o.throughput,
        isDone: progress.isDone,
      });
      input.plan = { json: plan, source: `The plan file ${o.plan}, as written; the disk columns are measured now.` };
    } else {
      const result = await runPlan(
        { ...auditInputs, keepSource: false, moveSuspected: false, maxFill: o.maxFill, throughput: o.throughput },
        o.progress,
      );
      plan = planJson(result);
      input.plan = { json: plan, source: 'A dry run of ringshift plan now (nothing written).' };
    }

    if (old) {
      const namesFile = o.names ?? (scratch === undefined ? undefined : join(scratch, 'names.txt'));
      const d = await diffRings(old, setup.ring, namesFile === undefined ? {} : { names: nameBatches({ file: namesFile }) });
      input.moves = {
        diff: diffJson(old.spec, setup.ring.spec, d) as unknown as RingDiffJson,
        metricsSource: o.names !== undefined ? `names in ${o.names}` : 'names found on disk',
        bytes: plan.pairs,
      };
    }
  } finally {
    namesOut?.destroy();
    findingsOut?.destroy();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }

  if (o.lint !== undefined && o.lint.length > 0) {
    const { report } = await lintPaths(o.lint, { cwd: process.cwd(), cluster: o.clusterPath });
    input.lint = lintInput(report, process.cwd(), o.lintDocsBase);
  }
  input.colours = colours.toJson();
  return input;
}

/** statfs of a location: the nearest existing directory locally, the driver's free space over ssh. */
export function statfsWith(ssh: SshOptions | undefined): (loc: StorageLocation) => Promise<ReturnType<typeof filesystemOf>> {
  return async (loc) => {
    if (loc.scheme === 'file') return filesystemOf(loc.root);
    const driver = await openDriver(loc, ssh === undefined ? {} : { ssh });
    try {
      return await remoteFilesystem(driver);
    } finally {
      await driver.close();
    }
  };
}

function once(stream: fs.WriteStream): Promise<void> {
  return new Promise((res, rej) => {
    stream.once('drain', res);
    stream.once('error', rej);
  });
}

function close(stream: fs.WriteStream | undefined): Promise<void> {
  if (stream === undefined) return Promise.resolve();
  return new Promise((res, rej) => {
    stream.once('error', rej);
    stream.end(() => res());
  });
}

/** One NDJSON line per section, the exact data each section of the HTML shows. */
export function reportJsonLines(input: ReportInput): string[] {
  const lines: string[] = [JSON.stringify({ report: { title: input.title, generated: input.generated, sources: input.sources } })];
  for (const key of ['rings', 'moves', 'audit', 'plan', 'progress', 'lint'] as const) {
    const v = input[key];
    if (v !== undefined) lines.push(JSON.stringify({ section: key, ...v }));
  }
  return lines;
}
