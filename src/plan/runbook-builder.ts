// Building a plan's runbook while `plan` streams its groups: phase totals (phased plans), the read impact
// of every metric the plan touches (phased and plain plans), the change analysis (with --old-ring), and
// the switch's config edits (with --configs). runPlan feeds it each group and its actions.
import type { AuditContext } from '../audit/audit-context.js';
import { isHolder, type ClassifiedGroup } from '../audit/classify.js';
import { memberId, type Destination } from '../ring/types.js';
import { analyseChange, type ChangeReport } from './change-kind.js';
import type { PlanAction } from './plan-file.js';
import type { GroupPlan } from './planner.js';
import { ReadImpact, type ReadImpactReport } from './read-impact.js';
import { PhaseAccumulator, phaseOfAction, type PhaseTotals, type PlanRunbook, type SwitchSpec } from './runbook.js';

export class RunbookBuilder {
  private readonly phases: PhaseAccumulator;
  private readonly impact: ReadImpact;
  readonly change: ChangeReport | undefined;

  constructor(
    private readonly ctx: AuditContext,
    readonly phased: boolean,
    private readonly throughput: number,
  ) {
    this.phases = new PhaseAccumulator(throughput);
    this.impact = new ReadImpact(phased, ctx.current.ring, ctx.old?.ring);
    if (ctx.old !== undefined) {
      const label = (placed: typeof ctx.current) => (d: Destination) => {
        const o = placed.ownerLocations([d]);
        return o.locs.length > 0 ? ctx.locationId(o.locs[0]!) : memberId(d);
      };
      this.change = analyseChange(ctx.old.ring, ctx.current.ring, label(ctx.old), label(ctx.current));
    }
  }

  /** Tag an action with its phase (phased plans). */
  tag(a: PlanAction): void {
    if (this.phased) a.phase = phaseOfAction(a);
  }

  /** One planned group: its actions (already tagged), and the layouts its holders were verified with. */
  observe(
    g: ClassifiedGroup,
    gp: GroupPlan,
    layoutOf: (loc: string, path: string) => { step: number; points: number }[] | undefined,
  ): void {
    if (gp.actions.length === 0 || g.owners === null) return;
    const ctx = this.ctx;
    for (const a of gp.actions) {
      if (a.op === 'delete') this.phases.addTransfer(a, undefined, 0);
      else this.phases.addTransfer(a, layoutOf(a.from, a.path), a.op === 'fill' ? a.dest.size : a.source.size);
    }
    const target = g.target ?? g.entries.find((c) => c.entry.metric !== null)?.entry.metric;
    if (target === undefined || target === null) return;
    const newOwners = g.owners.locs.map((l) => ctx.locationId(l));
    const oldOwners = ctx.old === undefined ? [] : ctx.old.locate(target).owners.locs.map((l) => ctx.locationId(l));
    const holders = g.entries
      .filter((c) => isHolder(c, false, true))
      .map((c) => ({ loc: ctx.locationId(c.entry.loc), live: c.explanation === 'live' }));
    this.impact.add({ metric: target, oldOwners, newOwners, holders });
  }

  readImpact(): ReadImpactReport {
    return this.impact.report();
  }

  /** The runbook record (phased plans), with the switch's config edits. */
  record(sw: SwitchSpec): PlanRunbook & { phases: PhaseTotals[] } {
    const { phases, window } = this.phases.totals(sw.configs.length);
    const rec: PlanRunbook = {
      type: 'runbook',
      phases,
      switch: sw,
      readImpact: this.impact.report(),
      estimate: { window, throughput: this.throughput },
    };
    if (this.change !== undefined) rec.change = this.change;
    return rec;
  }
}
