// The phased runbook: one plan whose actions are ordered in phases, so that a cluster that keeps
// receiving points changes without a gap in any graph and without losing a point:
//
//   pre-copy  copy (and gap-fill) history to the new owners while the relays still send to the old ones;
//             nothing is deleted
//   switch    the operator deploys the config edits (relay, webapps, carbonate, cluster file), shown as
//             unified diffs; apply confirms the switch from liveness (new owners receive, old ones
//             stopped) or takes --switched-at
//   backfill  a windowed gap-only fill of [pre-copy start − margin, switch + margin] from the old
//             holders into the new owners: only the slots in that window are read and written
//   verify    every point an old holder has is at the owners (or was superseded there); replica
//             divergence reported; nothing is deleted when it fails
//   cleanup   the old copies are deleted (the apply executor's delete: each owner re-proven to hold the
//             source's points first), then the directories they leave empty (never a storage root)
//
// A phased plan is the one plan format at version 2: the v1 records (header, copy/fill/delete actions,
// skips, footer), each action tagged with its phase, plus one `runbook` record before the footer that
// carries the per-phase totals, the switch's config edits, the change analysis and the read impact.
// The apply executor never sees a v2 file: the phase runner hands it a v1 plan per action phase.
import { formatBytes, formatDuration, plural } from '../units.js';
import type { ChangeReport } from './change-kind.js';
import { PHASES, type PhaseName } from './phase-names.js';
import type { PlanAction } from './plan-file.js';
import type { ReadImpactReport } from './read-impact.js';

export const PHASE_WHAT: Record<PhaseName, string> = {
  'pre-copy': 'copy history to the new owners while the relays still send to the old ones (no deletes)',
  switch: 'deploy the config edits; apply confirms the switch from liveness or takes --switched-at',
  backfill: 'fill the window between pre-copy and switch (plus a margin) from the old holders, gap-only, window slots only',
  verify: 'check that every point the old holders have is at the owners; report replica divergence',
  cleanup: 'delete the old copies (each owner re-proven first), then the directories they leave empty',
};

/** Seconds added on each side of the backfill window (relay queues, cache flush delays, clock skew). */
export const BACKFILL_MARGIN = 600;
/** The dry run's guess of how long the operator takes to deploy the switch after the pre-copy. */
export const SWITCH_GUESS = 1800;

/** The action phase of a copy, fill or delete. */
export function phaseOfAction(a: Pick<PlanAction, 'op'>): PhaseName {
  return a.op === 'delete' ? 'cleanup' : 'pre-copy';
}

/** Totals of one phase in the dry run. */
export interface PhaseTotals {
  name: PhaseName;
  what: string;
  /** Actions (pre-copy, cleanup), file pairs (backfill, verify), config files (switch). */
  files: number;
  /** Bytes read (writes are at most as many). */
  bytes: number;
  seconds: number;
  /** Phase-specific numbers (cleanup: bytes freed; switch: config files). */
  detail?: Record<string, number>;
}

/** The switch: what to deploy, and how apply will tell it happened. */
export interface SwitchSpec {
  /** Config edits as unified diffs of the user's files (switch-configs.ts). */
  configs: { file: string; kind: string; diff: string }[];
  /** Files that need the same edit but could not be rewritten (with why). */
  manual: { file: string; why: string }[];
  /** Findings of `ringshift lint` over the edited files (must be empty of errors before they are shown). */
  lint: { errors: number; warnings: number; messages: string[] };
}

/** The runbook record of a v2 plan. */
export interface PlanRunbook {
  type: 'runbook';
  phases: PhaseTotals[];
  switch: SwitchSpec;
  change?: ChangeReport;
  readImpact?: ReadImpactReport;
  /** The layout facts backfill estimates were made with. */
  estimate: { window: number; throughput: number };
}

/** One file pair's bytes in a window of `window` seconds: per archive, the window's slots in source and destination. */
export function windowBytes(archives: readonly { step: number; points: number }[], window: number): number {
  let n = 0;
  for (const a of archives) n += Math.min(a.points, Math.ceil(window / a.step) + 1) * 12;
  return 2 * n;
}

/** Accumulates the per-phase totals while the plan is written. */
export class PhaseAccumulator {
  private readonly t = new Map<PhaseName, PhaseTotals>();
  private preCopyBytes = 0;
  private readonly layouts: (readonly { step: number; points: number }[])[] = [];
  private verifyBytes = 0;
  private pairs = 0;
  private deletes = 0;
  private freed = 0;

  constructor(private readonly throughput: number) {
    for (const name of PHASES) this.t.set(name, { name, what: PHASE_WHAT[name], files: 0, bytes: 0, seconds: 0 });
  }

  /** A copy or fill, with the layout of its source (for the backfill estimate) and the destination's size. */
  addTransfer(a: PlanAction, layout: readonly { step: number; points: number }[] | undefined, destSize: number): void {
    if (a.op === 'delete') {
      this.deletes++;
      this.freed += a.source.size;
      return;
    }
    const p = this.t.get('pre-copy')!;
    p.files++;
    p.bytes += a.source.size;
    this.preCopyBytes += a.source.size;
    this.pairs++;
    this.layouts.push(layout ?? []);
    this.verifyBytes += a.source.size + destSize;
  }

  totals(configFiles: number): { phases: PhaseTotals[]; window: number } {
    const secs = (b: number) => Math.max(1, Math.ceil(b / this.throughput));
    const pre = this.t.get('pre-copy')!;
    pre.seconds = this.preCopyBytes === 0 ? 0 : secs(this.preCopyBytes);
    const window = pre.seconds + SWITCH_GUESS + 2 * BACKFILL_MARGIN;
    const back = this.t.get('backfill')!;
    back.files = this.pairs;
    back.bytes = this.layouts.reduce((n, l) => n + windowBytes(l, window), 0);
    back.seconds = back.bytes === 0 ? 0 : secs(back.bytes);
    const ver = this.t.get('verify')!;
    ver.files = this.pairs;
    ver.bytes = this.verifyBytes;
    ver.seconds = ver.bytes === 0 ? 0 : secs(ver.bytes);
    const clean = this.t.get('cleanup')!;
    clean.files = this.deletes;
    // The executor re-proves every owner from each source it deletes (a gap-only fill): the sources are read again.
    clean.bytes = this.deletes === 0 ? 0 : this.preCopyBytes;
    clean.seconds = clean.bytes === 0 ? 0 : secs(clean.bytes);
    clean.detail = { freed: this.freed };
    const sw = this.t.get('switch')!;
    sw.files = configFiles;
    sw.detail = { configs: configFiles };
    return { phases: PHASES.map((n) => this.t.get(n)!), window };
  }
}

/** The dry run's lines for the phases. */
export function renderPhases(phases: readonly PhaseTotals[]): string[] {
  const out = ['runbook (ringshift apply PLAN runs the next phase that is due; apply --phase NAME runs one):'];
  phases.forEach((p, i) => {
    let what: string;
    if (p.name === 'switch') what = `${plural(p.files, 'config file')} to deploy`;
    else if (p.name === 'cleanup')
      what = `${plural(p.files, 'delete')}, ${formatBytes(p.detail?.freed ?? 0)} freed; ${formatBytes(p.bytes)} re-read`;
    else if (p.name === 'pre-copy') what = `${plural(p.files, 'copy or fill', 'copies and fills')}, ${formatBytes(p.bytes)}`;
    else what = `${plural(p.files, 'file pair')}, ${formatBytes(p.bytes)}`;
    const time = p.name === 'switch' ? 'operator' : `about ${formatDuration(p.seconds)}`;
    out.push(`  ${i + 1}. ${p.name.padEnd(9)} ${what} (${time}): ${p.what}`);
  });
  return out;
}
