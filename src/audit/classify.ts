// Classifying the files of one path group (see group.ts), in this order:
//
//   tagged-hashed, malformed, symlink, unreadable   by what the scan found
//   corrupt, truncated                              the header read (local files; file-probes.ts)
//   trailing-dot                                    a/b/.wsp, written for the raw name `a.b.`
//   self-metric                                     the caches' own metrics, wherever they are
//   ok                                              the location holds an owner of the name (under
//                                                   carbon-c-relay cleansing: only for names the relay
//                                                   writes itself; a name it rewrites has no owner)
//   misplaced, explained by the first that applies:
//     live         the file received points after the cutoff (liveness.ts): some relay still writes
//                  it. The evidence names the known rings that send here (the old ring, a raw-name
//                  variant, a --ring), and what would explain it otherwise (`was`)
//     old-ring     an owner of the name under --old-ring is stored here
//     double-dot   the relay hashes raw names and a raw name stored at this path hashes here (any
//                  owner, since the relay writes every replica): `confirmed` when a name in --names
//                  does; without --names (or with a --names list that is only a sample, the default),
//                  `suspected` when a one-dot variant (variants.ts) does — only while the file is
//                  live: a stale file receives nothing from any raw name, so a guess about one
//                  would only keep a leftover in place. A --names-complete list that has no raw form
//                  of the path rules double-dot out.
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
export function isHolder(c: ClassifiedEntry, moveSuspected = false, liveOldRing = false): boolean {
  if (c.cls === 'ok' || c.cls === 'extra-copy') return true;
  if (c.cls !== 'misplaced') return false;
  if (c.explanation === 'live') return liveOldRing && sentByOldRing(c);
  if (c.explanation !== 'double-dot') return true;
  return moveSuspected && c.evidence?.confidence === 'suspected';
}

/** A live misplaced file that the old ring writes (the relays are not switched yet): a copy source before the switch. */
export function sentByOldRing(c: ClassifiedEntry): boolean {
  const by = c.evidence?.sentBy as { ring: string }[] | undefined;
  return by !== undefined && by.some((s) => s.ring === 'old-ring');
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
  if (owners !== null && entries.some((c) => isHolder(c, false, true))) {
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
    default:
      break;
  }
  const health = ctx.probes?.health(e);
  if (health !== undefined && health !== null && health.health !== 'ok') {
    return { entry: e, cls: health.health, owners: groupOwners, evidence: { problem: health.problem } };
  }
  if (e.kind === 'trailing-dot') return trailingDot(e, ctx);
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

  const live = ctx.probes?.liveness(e);
  const out = explainMisplaced(e, m, key, own.placement, owners, dropped, cleansed, ctx, group, live?.state !== 'stale');
  if (live === undefined || live.state === 'stale') {
    if (live?.lastPoint !== undefined && out.evidence !== undefined) out.evidence.lastPoint = live.lastPoint;
    return out;
  }
  // Live (or not yet known: a remote file being read; the group is classified again then).
  const was: Record<string, unknown> = { explanation: out.explanation };
  if (out.evidence !== undefined) was.evidence = out.evidence;
  const evidence: Record<string, unknown> = { sentBy: sendersHere(e, m, ctx), was };
  if (live.lastPoint !== undefined) evidence.lastPoint = live.lastPoint;
  if (live.cutoff !== undefined) evidence.cutoff = live.cutoff;
  if (live.state === 'pending') evidence.pending = true;
  return { entry: e, cls: 'misplaced', owners, explanation: 'live', evidence };
}

/** The known rings that send `m` to this file's location now: the old ring, raw-name variants, --ring configs. */
function sendersHere(e: GroupEntry, m: string, ctx: AuditContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (ctx.old !== undefined && ctx.old.locate(m).owners.locs.includes(e.loc)) out.push({ ring: 'old-ring' });
  if (ctx.rawHashing) {
    const here = (raw: string): boolean => ctx.current.locate(raw).owners.locs.includes(e.loc);
    const confirmed = ctx.names === undefined ? [] : ctx.names.rawAt(e.path).filter(here);
    if (confirmed.length > 0) out.push({ ring: 'raw-name', confidence: 'confirmed', raw: confirmed });
    else if (e.kind === 'metric' && (ctx.names === undefined || ctx.namesSample)) {
      const matching = dotVariants(m).filter(here);
      if (matching.length > 0) out.push({ ring: 'raw-name', confidence: 'suspected', raw: matching });
    }
  }
  for (const s of ctx.senders) if (s.ring.locate(m).owners.locs.includes(e.loc)) out.push({ ring: s.label });
  return out;
}

function explainMisplaced(
  e: GroupEntry,
  m: string,
  key: string,
  placement: Placement,
  owners: OwnerLocations,
  dropped: boolean,
  cleansed: boolean,
  ctx: AuditContext,
  group: PathGroup,
  maybeLive: boolean,
): ClassifiedEntry {
  const own = { placement };
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
    const dd = doubleDot(e, m, ctx, maybeLive);
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

function doubleDot(e: GroupEntry, m: string, ctx: AuditContext, maybeLive: boolean): Record<string, unknown> | undefined {
  const here = (raw: string): boolean => ctx.current.locate(raw).owners.locs.includes(e.loc);
  if (ctx.names !== undefined) {
    const raws = ctx.names.rawAt(e.path).filter(here);
    if (raws.length > 0) return { confidence: 'confirmed', raw: raws };
    // A complete name list rules out every raw form it does not contain.
    if (!ctx.namesSample) return undefined;
  }
  // A guess is only worth keeping a file in place while something still writes it.
  if (e.kind !== 'metric' || !maybeLive) return undefined;
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
