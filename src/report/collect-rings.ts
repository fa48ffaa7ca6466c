// The rings section's data from Ring objects: `ring show --json` per ring (keyspaceShares + showJson,
// the same functions the command uses), the wheel's arcs from the ring's enumerated positions, and the
// positions whose primary owner changes (matching nodes as `ring diff` does, so the moved share equals
// its "primary changed"). Also registers every member, node and location under one colour.
import { chooseMatch, identityKey, identityLabel, MemberTable, type MatchMode } from '../ring/analysis/members.js';
import { showJson } from '../ring-output/ring-report.js';
import { keyspaceShares } from '../ring/analysis/share.js';
import { memberId, type Destination, type Ring } from '../ring/types.js';
import type { StorageLocation } from '../storage/locations.js';
import { ColourKeys } from './palette.js';
import type { RingPanel, RingShowJson, RingsInput, WheelData } from './report-input.js';
import { runLengths, shareArcs } from './svg-wheel.js';

/** Units of the circle for rings drawn from shares (no positions). */
const SHARE_UNITS = 65536;

export function ringPanel(ring: Ring, title: string, description: string): RingPanel {
  const report = keyspaceShares(ring);
  const show = showJson(ring.spec, report) as unknown as RingShowJson;
  const ids = report.members.map((m) => m.id);
  return {
    title,
    description,
    show,
    ids,
    wheel: wheelOf(
      ring,
      ids,
      report.members.map((m) => m.primary),
    ),
  };
}

/** Arcs per band (primary, replica 2, …) over the ring's positions, or share-sized arcs without them. */
export function wheelOf(ring: Ring, ids: readonly string[], primaryShares: readonly number[]): WheelData {
  const ps = ring.positionSpace;
  if (ps === undefined) return { size: SHARE_UNITS, positional: false, bands: [shareArcs(primaryShares, SHARE_UNITS)] };
  const table = new MemberTable(ring.members);
  const index = new Map(ids.map((id, i) => [id, i]));
  const indexOf = (d: Destination): number => index.get(table.ids[table.indexOf(d)]!) ?? -1;
  const bands = Math.max(1, Math.min(ring.spec.replication, ring.members.length));
  const out: WheelData['bands'] = [];
  for (let k = 0; k < bands; k++) {
    out.push(
      runLengths(ps.size, (p) => {
        const o = ps.ownersAt(p)[k];
        return o === undefined ? -1 : indexOf(o);
      }),
    );
  }
  return { size: ps.size, positional: true, bands: out };
}

/** Positions whose primary owner (as a node under the diff's match mode) differs between the rings. */
export function movedPositions(from: Ring, to: Ring, mode?: MatchMode): RingsInput['moved'] | undefined {
  const a = from.positionSpace;
  const b = to.positionSpace;
  if (a === undefined || b === undefined || a.size !== b.size) return undefined;
  const m = mode ?? chooseMatch(from.members, to.members).mode;
  const keys = new Map<Destination, string>();
  const key = (d: Destination | undefined): string | null => {
    if (d === undefined) return null;
    let k = keys.get(d);
    if (k === undefined) keys.set(d, (k = identityKey(d, m)));
    return k;
  };
  let moved = 0;
  const band = runLengths(a.size, (p) => {
    const changed = key(a.ownersAt(p)[0]) !== key(b.ownersAt(p)[0]);
    if (changed) moved++;
    return changed ? 0 : -1;
  });
  return { size: a.size, starts: band.starts, owners: band.owners, share: moved / a.size };
}

/**
 * One colour per node: members of both rings (the same node keeps its colour across rings, whatever
 * its port), aliased by node label and by the storage locations that hold them.
 */
export function registerColours(colours: ColourKeys, rings: readonly Ring[], locations: readonly StorageLocation[] = []): void {
  const all = rings.flatMap((r) => r.members);
  const mode = rings.length === 2 ? chooseMatch(rings[0]!.members, rings[1]!.members).mode : 'node';
  for (const d of all) colours.slot(memberId(d), identityLabel(d, mode));
  for (const loc of locations) {
    const first = loc.members[0];
    if (first !== undefined) colours.slot(memberId(first), loc.id);
    else colours.slot(loc.id);
  }
}

export { ColourKeys };
