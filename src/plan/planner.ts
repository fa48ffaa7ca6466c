// From one classified path group to plan actions (see docs/plan.md for the rules in plain words).
//
// Holders are the files whose data belongs to the group's metric under the current ring: ok files,
// misplaced ones (old-ring, cleansing, unexplained; double-dot only with --move-suspected and only
// when suspected) and extra copies. A group needs work when a holder is not the metric's file on an
// owner location, or an owner location lacks the file. Then, with every holder verified first:
//   copy    to each owner location lacking the file, from the largest valid holder (ties: the newest
//           mtime, then a holder already on an owner, then location order);
//   fill    (gap-only) into each owner's file from every other valid holder with data — into a file
//           this plan copies too, after that copy;
//   delete  each holder that is not the metric's file on an owner, after every copy and fill into
//           the owners, and only when every owner location ends up with a verified file (no
//           owner without storage, no corrupt owner file). None with --keep-source.
// Corrupt or vanished holders are skipped, never used as a source, never deleted. A settled group
// (every owner holds it, nothing elsewhere) produces nothing.
import type { AuditContext } from '../audit/audit-context.js';
import { isHolder, type ClassifiedEntry, type ClassifiedGroup } from '../audit/classify.js';
import type { CopyAction, FileStamp, FillAction, PlanAction, PlanSkip } from './plan-file.js';

export interface PlannerOptions {
  keepSource: boolean;
  moveSuspected: boolean;
}

/** What verification found about one file. null: it is gone (or no longer a regular file). */
export interface HolderCheck {
  ok: boolean;
  error?: string;
  /** Any slot holds a point. */
  hasData: boolean;
  /** Size and mtime when it was verified. */
  stamp: FileStamp;
}

/** Local files are checked in place (synchronously), remote ones through their driver. */
export type Verifier = (loc: number, path: string) => HolderCheck | null | Promise<HolderCheck | null>;

/** Why a file is left alone, by category (for the summary) with the plan's skip record. */
export interface CategorizedSkip {
  category: string;
  skip: PlanSkip;
}

export interface GroupPlan {
  actions: PlanAction[];
  skips: CategorizedSkip[];
}

interface Checked {
  c: ClassifiedEntry;
  check: HolderCheck;
}

export class GroupPlanner {
  private nextId = 1;

  constructor(
    private readonly ctx: AuditContext,
    private readonly opts: PlannerOptions,
    private readonly verify: Verifier,
  ) {}

  /** Ids handed out so far. */
  get actionCount(): number {
    return this.nextId - 1;
  }

  async plan(g: ClassifiedGroup): Promise<GroupPlan> {
    const out: GroupPlan = { actions: [], skips: [] };
    const holders: ClassifiedEntry[] = [];
    for (const c of g.entries) {
      const dropped = c.explanation === 'cleansing' && c.evidence?.twin === null;
      if (isHolder(c, this.opts.moveSuspected) && !dropped) holders.push(c);
      else if (c.cls !== 'missing-replica') this.skipEntry(c, out);
    }
    if (holders.length === 0) return out;
    const owners = g.owners;
    const key = g.key;
    const isTarget = (c: ClassifiedEntry): boolean => c.entry.path === key && owners !== null && owners.locs.includes(c.entry.loc);
    if (owners === null || (owners.locs.length === 0 && owners.unmapped.length === 0)) {
      for (const c of holders) this.skip(out, c, 'no-owner', 'no owner: the ring routes this name nowhere');
      return out;
    }
    const settled = holders.every(isTarget) && owners.locs.every((l) => holders.some((c) => c.entry.loc === l && c.entry.path === key));
    if (settled) return out;

    // Verify every holder before relying on it.
    const valid: Checked[] = [];
    let brokenOwner = false;
    // Remote holders are read at once (a round trip each); results keep the holders' order.
    const checks = await Promise.all(holders.map(async (c) => this.verify(c.entry.loc, c.entry.path)));
    for (let i = 0; i < holders.length; i++) {
      const c = holders[i]!;
      const check = checks[i] ?? null;
      if (check === null) {
        this.skip(out, c, 'vanished', 'vanished since the scan', 're-run the plan');
        if (isTarget(c)) brokenOwner = true;
        continue;
      }
      if (!check.ok) {
        this.skip(
          out,
          c,
          'corrupt',
          `corrupt whisper file (${check.error ?? 'verify failed'}): not copied, filled or deleted`,
          'inspect it with `ringshift whisper verify`; restore it from another replica',
        );
        if (isTarget(c)) brokenOwner = true;
        continue;
      }
      valid.push({ c, check });
    }
    const target = g.target ?? holders[0]!.entry.metric ?? key;

    // Owners without storage cannot be served; deletes then wait.
    for (const m of owners.unmapped) {
      out.skips.push({
        category: 'owner-without-storage',
        skip: {
          type: 'skip',
          metric: target,
          path: key,
          at: m,
          reason: `owner ${m} has no storage entry in the cluster file: nothing copied there`,
          fix: 'add its storage location to the cluster file and re-plan',
        },
      });
    }
    if (valid.length === 0) return out;

    const ranked = [...valid].sort(
      (a, b) =>
        b.check.stamp.size - a.check.stamp.size ||
        b.check.stamp.mtimeMs - a.check.stamp.mtimeMs ||
        Number(isTarget(b.c)) - Number(isTarget(a.c)) ||
        a.c.entry.loc - b.c.entry.loc ||
        (a.c.entry.path < b.c.entry.path ? -1 : a.c.entry.path > b.c.entry.path ? 1 : 0),
    );
    const best = ranked[0]!;
    const intoOwners: number[] = [];
    const loc = (i: number): string => this.ctx.locationId(i);

    for (const l of owners.locs) {
      const own = valid.find((v) => v.c.entry.loc === l && v.c.entry.path === key);
      if (own === undefined) {
        // A corrupt or vanished owner file is not overwritten (already reported).
        if (holders.some((c) => c.entry.loc === l && c.entry.path === key)) continue;
        const copyId = this.nextId++;
        const copy: CopyAction = {
          type: 'action',
          id: copyId,
          op: 'copy',
          metric: target,
          path: best.c.entry.path,
          from: loc(best.c.entry.loc),
          to: loc(l),
          source: best.check.stamp,
        };
        if (best.c.entry.path !== key) copy.toPath = key;
        out.actions.push(copy);
        intoOwners.push(copyId);
        for (const v of ranked) {
          if (v === best || !v.check.hasData) continue;
          intoOwners.push(this.fill(out, v, l, key, target, best.check.stamp, [copyId]));
        }
        continue;
      }
      for (const v of ranked) {
        if (v === own || !v.check.hasData) continue;
        intoOwners.push(this.fill(out, v, l, key, target, own.check.stamp));
      }
    }

    const strays = valid.filter((v) => !isTarget(v.c));
    if (this.opts.keepSource || strays.length === 0) return out;
    let blocker: string | undefined;
    if (owners.unmapped.length > 0) blocker = `owner ${owners.unmapped.join(', ')} has no storage`;
    else if (brokenOwner) blocker = 'an owner file is corrupt or vanished';
    else if (owners.locs.length === 0) blocker = 'no owner has storage';
    for (const v of strays) {
      if (blocker !== undefined) {
        this.skip(
          out,
          v.c,
          'not-deleted',
          `not deleted: ${blocker}, so not every owner gets a verified copy`,
          'fix the owner, then re-plan',
        );
        continue;
      }
      out.actions.push({
        type: 'action',
        id: this.nextId++,
        op: 'delete',
        metric: v.c.entry.metric ?? target,
        path: v.c.entry.path,
        at: loc(v.c.entry.loc),
        source: v.check.stamp,
        after: [...intoOwners],
      });
    }
    return out;
  }

  private fill(out: GroupPlan, from: Checked, to: number, key: string, target: string, dest: FileStamp, after?: number[]): number {
    const id = this.nextId++;
    const a: FillAction = {
      type: 'action',
      id,
      op: 'fill',
      metric: target,
      path: from.c.entry.path,
      from: this.ctx.locationId(from.c.entry.loc),
      to: this.ctx.locationId(to),
      source: from.check.stamp,
      dest,
    };
    if (from.c.entry.path !== key) a.toPath = key;
    if (after !== undefined) a.after = after;
    out.actions.push(a);
    return id;
  }

  private skip(out: GroupPlan, c: ClassifiedEntry, category: string, reason: string, fix?: string): void {
    const skip: PlanSkip = { type: 'skip', metric: c.entry.metric, path: c.entry.path, at: this.ctx.locationId(c.entry.loc), reason };
    if (fix !== undefined) skip.fix = fix;
    out.skips.push({ category, skip });
  }

  /** A file the plan never moves, with why and what to do about it. */
  private skipEntry(c: ClassifiedEntry, out: GroupPlan): void {
    const ev = c.evidence ?? {};
    const note = typeof ev.note === 'string' ? `: ${ev.note}` : '';
    switch (c.cls) {
      case 'self-metric':
        return this.skip(out, c, 'self-metric', "self-metric: the cache's own metric, written locally");
      case 'trailing-dot': {
        const raw = JSON.stringify(ev.raw ?? c.entry.metric);
        return this.skip(
          out,
          c,
          'trailing-dot',
          `trailing-dot: carbon-cache wrote this for the raw name ${raw}`,
          'fix the name at the sender (carbon-c-relay strips the dot); to keep the points, fill them into the dotless name with `ringshift whisper fill`',
        );
      }
      case 'tagged-hashed':
        return this.skip(
          out,
          c,
          'tagged-hashed',
          'tagged-hashed: the file is named by a sha256, so its metric name and owners are unknown',
          'map it with a tag index (graphite-web TagDB) and move it by hand',
        );
      case 'malformed':
      case 'symlink':
      case 'unreadable':
        return this.skip(out, c, c.cls, `${c.cls}${note}`);
      case 'misplaced': {
        if (c.explanation === 'double-dot') {
          const raw = ((ev.raw as string[] | undefined) ?? []).map((r) => JSON.stringify(r)).join(', ');
          const confidence = ev.confidence === 'confirmed' ? 'confirmed' : 'suspected';
          return this.skip(
            out,
            c,
            `double-dot-${confidence}`,
            `double-dot (${confidence}): the relay hashes the raw name ${raw} to this location; moving the file would split the metric (new points keep arriving here)`,
            'normalize the name at the sender or the relay (carbon-c-relay cleans names), then re-plan' +
              (confidence === 'suspected' ? '; if the guess is wrong, confirm with --names or use --move-suspected' : ''),
          );
        }
        if (c.explanation === 'cleansing') {
          return this.skip(
            out,
            c,
            'cleansing-dropped',
            `carbon-c-relay drops this name${typeof ev.reason === 'string' ? ` (${ev.reason})` : ''}`,
            'rename the metric at the sender',
          );
        }
        return this.skip(out, c, 'not-movable', 'not movable');
      }
      default:
        return this.skip(out, c, c.cls, c.cls);
    }
  }
}
