// Classifying the files of one path group (see group.ts), in this order:
//
//   tagged-hashed, malformed, symlink, unreadable   by what the scan found
//   trailing-dot                                    a/b/.wsp, written for the raw name `a.b.`
//   self-metric                                     the caches' own metrics, wherever they are
//   ok                                              the location holds an owner of the name (under
//                                                   carbon-c-relay cleansing: only for names the relay
//                                                   writes itself; a name it rewrites has no owner)
//   misplaced, explained by the first that applies:
//     old-ring     an owner of the name under --old-ring is stored here
//     double-dot   the relay hashes raw names and a raw name stored at this path hashes here (any
//                  owner, since the relay writes every replica): `confirmed` when a name in --names
//                  does; without --names (or with --names-sample, a list that may miss names),
//                  `suspected` when a one-dot variant (variants.ts) does. A complete --names list
//                  that has no raw form of the path rules double-dot out.
//     cleansing    carbon-c-relay rewrites the name: its cleansed twin receives the data now
//     unexplained
//   extra-copy     an unexplained misplaced file of a metric every owner location already holds
//   missing-replica  (per owner location, not per file) an owner lacks a file that another location
//                    holds with data the planner would move: ok, old-ring, cleansing, unexplained or
//                    extra-copy holders (double-dot files belong to another raw name and do not count)
import type { Placement } from '../ring/types.js';
import type { AuditContext, OwnerLocations } from './audit-context.js';
import type { Explanation, FileClass, AuditFinding, GroupEntry, PathGroup } from './audit-findings.js';
import { dotVariants } from './variants.js';

export interface ClassifiedEntry {
  entry: GroupEntry;
  cls: FileClass;
  explanation?: Explanation;
  evidence?: Record<string, unknown>;
  /** Owners of the name this entry's data belongs to (its own, or its cleansed twin's). */
  owners: OwnerLocations | null;
}

export interface ClassifiedGroup {
  key: string;
  /** The name stored at `key` under the current ring (null for groups without a usable name). */
  target: string | null;
  owners: OwnerLocations | null;
  entries: ClassifiedEntry[];
  /** Owner locations lacking the file while another location holds it. */
  missing: number[];
}

const NO_OWNERS: OwnerLocations = { locs: [], unmapped: [] };

/** Entries whose data the planner moves: they count as holders of the group's metric. */
export function isHolder(c: ClassifiedEntry, moveSuspected = false): boolean {
  if (c.cls === 'ok' || c.cls === 'extra-copy') return true;
  if (c.cls !== 'misplaced') return false;
  if (c.explanation !== 'double-dot') return true;
  return moveSuspected && c.evidence?.confidence === 'suspected';
}

export function classifyGroup(group: PathGroup, ctx: AuditContext): ClassifiedGroup {
  const { key } = group;
  const entries: ClassifiedEntry[] = [];
  let target: string | null = null;
  let owners: OwnerLocations | null = null;
  let placement: Placement | undefined;

  // The group's name: a clean file stored at the key, else the twin a cleansed name becomes.
  for (const e of group.entries) {
    if ((e.kind === 'metric' || e.kind === 'tagged') && e.metric !== null && !ctx.isSelfMetric(e.metric)) {
      if (e.path === key) {
        target = e.metric;
        break;
      }
      if (target === null) {
        const p = ctx.current.ring.locate(e.metric);
        if (p.dropped !== true && p.routedAs !== undefined) target = p.routedAs;
      }
    }
  }
  if (target !== null) {
    const r = ctx.current.locate(target);
    placement = r.placement;
    owners = r.owners;
  }

  for (const e of group.entries) entries.push(classifyEntry(e, key, owners, placement, ctx, group));

  // extra-copy: an unexplained copy of a metric that every owner location already holds.
  const okLocs = new Set(entries.filter((c) => c.cls === 'ok').map((c) => c.entry.loc));
  const fullyHeld = owners !== null && owners.locs.length > 0 && owners.unmapped.length === 0 && owners.locs.every((l) => okLocs.has(l));
  if (fullyHeld) {
    for (const c of entries) {
      if (c.cls === 'misplaced' && c.explanation === 'unexplained') {
        c.cls = 'extra-copy';
        delete c.explanation;
        c.evidence = { heldAt: owners!.locs.map((l) => ctx.locationId(l)) };
      }
    }
  }

  const missing: number[] = [];
  if (owners !== null && entries.some((c) => isHolder(c))) {
    for (const l of owners.locs) if (!okLocs.has(l)) missing.push(l);
  }
  return { key, target, owners, entries, missing };
}

function classifyEntry(
  e: GroupEntry,
  key: string,
  groupOwners: OwnerLocations | null,
  groupPlacement: Placement | undefined,
  ctx: AuditContext,
  group: PathGroup,
): ClassifiedEntry {
  switch (e.kind) {
    case 'tagged-hashed':
    case 'malformed':
    case 'symlink':
    case 'unreadable':
      return { entry: e, cls: e.kind, owners: null, ...(e.note !== undefined ? { evidence: { note: e.note } } : {}) };
    case 'trailing-dot':
      return trailingDot(e, ctx);
    default:
      break;
  }
  const m = e.metric;
  if (m === null) return { entry: e, cls: 'malformed', owners: null };
  if (ctx.isSelfMetric(m)) {
    return { entry: e, cls: 'self-metric', owners: ctx.current.locate(m).owners };
  }

  const own = e.path === key && groupPlacement !== undefined ? { placement: groupPlacement, owners: groupOwners! } : ctx.current.locate(m);
  const dropped = ctx.cleansing && own.placement.dropped === true;
  const cleansed = ctx.cleansing && !dropped && e.path !== key;
  const owners = dropped ? NO_OWNERS : cleansed ? (groupOwners ?? own.owners) : own.owners;
  if (!dropped && !cleansed && owners.locs.includes(e.loc)) return { entry: e, cls: 'ok', owners };

  const out: ClassifiedEntry = { entry: e, cls: 'misplaced', owners };
  if (ctx.old !== undefined) {
    const old = ctx.old.locate(m).owners;
    if (old.locs.includes(e.loc)) {
      out.explanation = 'old-ring';
      out.evidence = { oldOwners: [...old.locs.map((l) => ctx.locationId(l)), ...old.unmapped] };
      if (cleansed) out.evidence.twin = twinName(group, key, ctx);
      return out;
    }
  }
  if (ctx.rawHashing && !cleansed) {
    const dd = doubleDot(e, m, ctx);
    if (dd !== undefined) {
      out.explanation = 'double-dot';
      out.evidence = dd;
      return out;
    }
  }
  if (dropped || cleansed) {
    out.explanation = 'cleansing';
    if (dropped) {
      out.evidence = { twin: null, reason: own.placement.reason ?? 'carbon-c-relay drops this name' };
    } else {
      const heldAt = group.entries.filter((x) => x.path === key && x.kind !== 'symlink').map((x) => ctx.locationId(x.loc));
      out.evidence = { twin: twinName(group, key, ctx), twinPath: key, twinHeldAt: [...new Set(heldAt)] };
    }
    return out;
  }
  out.explanation = 'unexplained';
  return out;
}

/** The cleansed name stored at `key`. */
function twinName(group: PathGroup, key: string, ctx: AuditContext): string | null {
  const atKey = group.entries.find((x) => x.path === key && x.metric !== null);
  if (atKey !== undefined) return atKey.metric;
  for (const x of group.entries) {
    if (x.metric === null) continue;
    const p = ctx.current.ring.locate(x.metric);
    if (p.routedAs !== undefined) return p.routedAs;
  }
  return null;
}

function doubleDot(e: GroupEntry, m: string, ctx: AuditContext): Record<string, unknown> | undefined {
  const here = (raw: string): boolean => ctx.current.locate(raw).owners.locs.includes(e.loc);
  if (ctx.names !== undefined) {
    const raws = ctx.names.rawAt(e.path).filter(here);
    if (raws.length > 0) return { confidence: 'confirmed', raw: raws };
    // A complete name list rules out every raw form it does not contain.
    if (!ctx.namesSample) return undefined;
  }
  if (e.kind !== 'metric') return undefined;
  const variants = dotVariants(m);
  const matching = variants.filter(here);
  if (matching.length === 0) return undefined;
  const share = ctx.share(e.loc);
  const chance = 1 - Math.pow(1 - share, variants.length);
  const ev: Record<string, unknown> = {
    confidence: 'suspected',
    raw: matching,
    variants: variants.length,
    matching: matching.length,
    share: round4(share),
    chance: round4(chance),
  };
  if (ctx.names !== undefined) ev.inNames = false;
  return ev;
}

function trailingDot(e: GroupEntry, ctx: AuditContext): ClassifiedEntry {
  const raw = e.metric;
  if (raw === null) return { entry: e, cls: 'trailing-dot', owners: null };
  const { placement, owners } = ctx.current.locate(raw);
  const evidence: Record<string, unknown> = { raw };
  if (ctx.cleansing) {
    // c-relay strips the trailing dot: it never writes this file; its data now goes to the twin.
    evidence.twin = placement.routedAs ?? raw.slice(0, -1);
    evidence.atOwner = false;
  } else {
    evidence.atOwner = owners.locs.includes(e.loc);
  }
  return { entry: e, cls: 'trailing-dot', owners, evidence };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** The findings of a classified group: one per file, then one per missing replica. */
export function groupFindings(g: ClassifiedGroup, ctx: AuditContext): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const c of g.entries) {
    const f: AuditFinding = {
      kind: c.cls,
      metric: c.entry.metric,
      node: ctx.locationId(c.entry.loc),
      path: c.entry.path,
      owners: ownerIds(c.owners, ctx),
      size: c.entry.size,
    };
    if (c.explanation !== undefined) f.explanation = c.explanation;
    if (c.evidence !== undefined) f.evidence = c.evidence;
    out.push(f);
  }
  if (g.missing.length > 0) {
    const holders = g.entries.filter((c) => isHolder(c));
    const size = Math.max(...holders.map((c) => c.entry.size));
    const heldAt = [...new Set(holders.map((c) => ctx.locationId(c.entry.loc)))];
    for (const l of g.missing) {
      out.push({
        kind: 'missing-replica',
        metric: g.target,
        node: ctx.locationId(l),
        path: g.key,
        owners: ownerIds(g.owners, ctx),
        evidence: { heldAt },
        size,
      });
    }
  }
  return out;
}

export function ownerIds(o: OwnerLocations | null, ctx: AuditContext): string[] {
  if (o === null) return [];
  return [...o.locs.map((l) => ctx.locationId(l)), ...o.unmapped];
}
