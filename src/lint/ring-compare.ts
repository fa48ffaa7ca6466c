// Comparing two held rings: node identities as strings (never resolved), and the share of the keyspace
// whose owners differ, computed with the ring engine exactly where both rings hash to the same 16-bit
// positions.
import { diffRings } from '../ring/analysis/diff.js';
import { identityLabel } from '../ring/analysis/members.js';
import { buildRing } from '../ring/build.js';
import type { Destination, Ring, RingSpec } from '../ring/types.js';
import { formatPercent as pct } from '../units.js';

/** Shares in findings: the suite's percentage format (src/units.ts). */
export { pct };

/** Keys sampled when two rings do not share a position function (jump, mmh3, mixed hashes). */
const SAMPLE = 1 << 16;

/**
 * The identity a member is hashed under: (server, instance) as written. carbon-c-relay and buckytools
 * hash an instance-less fnv1a_ch member as "host:port", which is what the carbon side must write as its
 * instance to agree (configs.md §1.5 and §9 R3), so that is its instance here.
 */
export function hashedIdentity(d: Destination, spec: RingSpec): Destination {
  if (d.instance === null && spec.hash === 'fnv1a_ch' && (spec.impl === 'carbon-c-relay' || spec.impl === 'bucky')) {
    const host = d.server.includes(':') ? `[${d.server}]` : d.server;
    return { ...d, instance: `${host}:${d.port}` };
  }
  return d;
}

export function nodeLabel(d: Destination, spec: RingSpec): string {
  return identityLabel(hashedIdentity(d, spec), 'node');
}

export function nodeKey(d: Destination, spec: RingSpec): string {
  const h = hashedIdentity(d, spec);
  return h.instance === null ? `${h.server}\u0000` : `${h.server}\u0000=${h.instance}`;
}

export interface MemberComparison {
  /** Labels in ring a (b) that ring b (a) does not have. */
  onlyA: string[];
  onlyB: string[];
  sameSet: boolean;
  sameOrder: boolean;
}

export function compareMembers(a: readonly Destination[], specA: RingSpec, b: readonly Destination[], specB: RingSpec): MemberComparison {
  const ka = a.map((d) => nodeKey(d, specA));
  const kb = b.map((d) => nodeKey(d, specB));
  const sa = new Set(ka);
  const sb = new Set(kb);
  const onlyA = a.filter((d, i) => !sb.has(ka[i]!)).map((d) => nodeLabel(d, specA));
  const onlyB = b.filter((d, i) => !sa.has(kb[i]!)).map((d) => nodeLabel(d, specB));
  const sameSet = onlyA.length === 0 && onlyB.length === 0;
  const dedupe = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) === i);
  const sameOrder = sameSet && JSON.stringify(dedupe(ka)) === JSON.stringify(dedupe(kb));
  return { onlyA: dedupe(onlyA), onlyB: dedupe(onlyB), sameSet, sameOrder };
}

/** The ring with c-relay/bucky instance-less fnv1a members renamed to their hash key (same ring). */
function normalizedSpec(spec: RingSpec): RingSpec {
  return { ...spec, destinations: spec.destinations.map((d) => hashedIdentity(d, spec)) };
}

const built = new WeakMap<RingSpec, Ring | null>();

/** buildRing, cached per spec; null when the implementation would refuse it (reported elsewhere). */
export function ringOf(spec: RingSpec): Ring | null {
  let r = built.get(spec);
  if (r === undefined) {
    try {
      r = buildRing(normalizedSpec(spec));
    } catch {
      r = null;
    }
    built.set(spec, r);
  }
  return r;
}

export interface Quantity {
  /** Share of the keyspace whose owner set differs. */
  owners: number;
  /** Share whose primary owner differs. */
  primary: number;
  exact: boolean;
}

/** How much of the keyspace two rings route differently (node identities matched by (server, instance)). */
export async function quantify(a: RingSpec, b: RingSpec): Promise<Quantity | undefined> {
  const ra = ringOf(a);
  const rb = ringOf(b);
  if (ra === null || rb === null) return undefined;
  const d = await diffRings(ra, rb, { match: 'node', sampleSize: SAMPLE });
  return { owners: d.keyspace.ownerSetChanged, primary: d.keyspace.primaryChanged, exact: d.exact };
}

export function quantityText(q: Quantity | undefined): string {
  if (q === undefined) return '';
  const approx = q.exact ? '' : 'about ';
  const primary = q.primary !== q.owners ? ` (primary owner: ${approx}${pct(q.primary)})` : '';
  return `ownership of ${approx}${pct(q.owners)} of the keyspace differs${primary}`;
}

export function list(xs: readonly string[], max = 6): string {
  if (xs.length <= max) return xs.join(', ');
  return `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}
