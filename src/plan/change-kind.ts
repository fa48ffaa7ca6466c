// What kind of cluster change an old ring → new ring is, and what it costs: nodes added, removed or
// replaced, a replication change, a hash or relay migration — with the exact share of the keyspace
// whose owners change, whether a replacement keeps placement (identity-preserving: a pure bulk copy),
// the compatibility-preserving alternatives that exist (c-relay `=instance`, fnv1a_ch instances set to
// the old `ip:port`, c-relay carbon_ch with the old instances), and whether graphite-web's CarbonLink
// can follow the new ring (it hashes with carbon_ch, fnv1a_ch or mmh3_ch only, keyed like carbon).
//
// Owners are compared as storage locations when the plan knows them (a label per member), so a
// carbon-relay member `g1:2004:a` and its c-relay successor `g1:2003` on the same directory are the
// same place. The comparison is exact over the 65,536 positions when both rings hash names to the same
// 16-bit position, else over a fixed sample of routing keys (the report says which).
import { buildRing } from '../ring/build.js';
import { identityKey } from '../ring/analysis/members.js';
import { sampleKey } from '../ring/analysis/sample.js';
import { makeRingSpec } from '../ring/spec.js';
import { memberId, type Destination, type HashType, type Ring, type RingSpec } from '../ring/types.js';

export type ChangeKind = 'add' | 'remove' | 'replace' | 'replication' | 'migration' | 'none';

export interface Alternative {
  /** What to configure, in words. */
  what: string;
  /** The members as the new relay config would list them (for c-relay: host:port=instance). */
  destinations: string[];
  /** Share of the keyspace whose owners change with this alternative. */
  moved: number;
  /** Every metric keeps its owners (a replaced node's metrics all go to its successor, nothing else moves). */
  keepsPlacement: boolean;
}

export interface ReaderCheck {
  reader: string;
  /** Share of metrics whose cache CarbonLink would not find among the relay's owners (null: cannot model). */
  mismatch: number | null;
  note: string;
}

export interface ChangeReport {
  kinds: ChangeKind[];
  added: string[];
  removed: string[];
  replication?: { from: number; to: number };
  migration?: { from: string; to: string };
  /** Share of the keyspace whose owner set changes, and whose primary changes. */
  moved: number;
  primaryMoved: number;
  exact: boolean;
  replace?: { pairs: { from: string; to: string }[]; identityPreserving: boolean; note: string };
  alternatives: Alternative[];
  readers: ReaderCheck[];
}

/** How a ring's members are named for comparison: storage location ids when known, else (server, instance). */
export type MemberLabel = (d: Destination) => string;

const SAMPLE = 1 << 15;

interface Keys {
  exact: boolean;
  count: number;
  owners(ring: Ring, i: number): readonly Destination[];
}

function keysFor(a: Ring, b: Ring): Keys {
  const pa = a.positionSpace;
  const pb = b.positionSpace;
  if (pa !== undefined && pb !== undefined && pa.fn === pb.fn && pa.size === pb.size)
    return { exact: true, count: pa.size, owners: (r, i) => r.positionSpace!.ownersAt(i) };
  return { exact: false, count: SAMPLE, owners: (r, i) => r.ownersOfKey(sampleKey(i)) };
}

interface Comparison {
  moved: number;
  primaryMoved: number;
  exact: boolean;
  /** old label → new label, when every key's owner list maps position by position through one injective function. */
  mapping: Map<string, string> | null;
}

/** Compare two rings key by key through their labels. */
export function compareRings(a: Ring, la: MemberLabel, b: Ring, lb: MemberLabel): Comparison {
  const keys = keysFor(a, b);
  let moved = 0;
  let primary = 0;
  let mapping: Map<string, string> | null = new Map();
  const inverse = new Map<string, string>();
  const labelsA = new Map<Destination, string>();
  const labelsB = new Map<Destination, string>();
  const lab = (m: Map<Destination, string>, f: MemberLabel, d: Destination): string => {
    let s = m.get(d);
    if (s === undefined) m.set(d, (s = f(d)));
    return s;
  };
  for (let i = 0; i < keys.count; i++) {
    const oa = keys.owners(a, i).map((d) => lab(labelsA, la, d));
    const ob = keys.owners(b, i).map((d) => lab(labelsB, lb, d));
    if (oa[0] !== ob[0]) primary++;
    if (oa.length !== ob.length || [...oa].sort().join('\0') !== [...ob].sort().join('\0')) moved++;
    if (mapping !== null) {
      if (oa.length !== ob.length) mapping = null;
      else
        for (let k = 0; k < oa.length && mapping !== null; k++) {
          const was = mapping.get(oa[k]!);
          const back = inverse.get(ob[k]!);
          if ((was !== undefined && was !== ob[k]) || (back !== undefined && back !== oa[k])) mapping = null;
          else {
            mapping.set(oa[k]!, ob[k]!);
            inverse.set(ob[k]!, oa[k]!);
          }
        }
    }
  }
  return { moved: moved / keys.count, primaryMoved: primary / keys.count, exact: keys.exact, mapping };
}

function describe(spec: RingSpec): string {
  const impl = spec.impl === 'carbon' ? 'carbon-relay' : spec.impl;
  return `${impl} ${spec.hash}`;
}

/** A member as a c-relay cluster line writes it (host:port[=instance]), or carbon's host:port:instance. */
export function configMember(d: Destination, impl: RingSpec['impl']): string {
  const host = d.server.includes(':') ? `[${d.server}]` : d.server;
  if (impl === 'carbon-c-relay' || impl === 'bucky') return `${host}:${d.port}${d.instance === null ? '' : `=${d.instance}`}`;
  return memberId(d);
}

/** graphite-web's CarbonLink ring over the same caches, when it can hash like the relay at all. */
function carbonLinkOf(spec: RingSpec): Ring | null {
  const hash: HashType = spec.hash;
  if (hash === 'jump_fnv1a_ch') return null;
  try {
    return buildRing(makeRingSpec({ impl: 'graphite-web', hash, replication: spec.replication, destinations: spec.destinations }));
  } catch {
    return null;
  }
}

/** Does graphite-web's CarbonLink find the relay's caches? The share of keys whose candidate set differs. */
export function carbonLinkCheck(relay: Ring): ReaderCheck {
  const link = carbonLinkOf(relay.spec);
  if (link === null)
    return {
      reader: 'graphite-web CarbonLink',
      mismatch: null,
      note: `graphite-web's CarbonLink cannot hash ${relay.spec.hash} (CARBONLINK_HASHING_TYPE is carbon_ch, fnv1a_ch or mmh3_ch): it asks the wrong cache for most metrics and misses their unflushed points; read through carbonapi/go-carbon (every cache answers) or keep carbon_ch/fnv1a_ch`,
    };
  const node = (d: Destination) => identityKey(d, 'host') + '\0' + (d.instance ?? '');
  // graphite-web keys members by (host, instance) like carbon; compare by host and instance.
  const cmp = compareRings(relay, node, link, node);
  return {
    reader: 'graphite-web CarbonLink',
    mismatch: cmp.moved,
    note:
      cmp.moved === 0
        ? `CARBONLINK_HOSTS with the same hosts and instances in the same order find every metric's cache`
        : `CARBONLINK_HOSTS over the same caches disagree with the relay for ${(cmp.moved * 100).toFixed(3)} % of metrics: graphite-web asks a cache that does not hold their unflushed points (give the members =instance names both sides hash alike)`,
  };
}

/** Analyse old → new. `oldLabel`/`newLabel` name members (storage location ids when the plan has them). */
export function analyseChange(oldRing: Ring, newRing: Ring, oldLabel?: MemberLabel, newLabel?: MemberLabel): ChangeReport {
  const la = oldLabel ?? ((d: Destination) => identityKey(d, 'node'));
  const lb = newLabel ?? ((d: Destination) => identityKey(d, 'node'));
  const os = oldRing.spec;
  const ns = newRing.spec;
  const oldLabels = new Map(oldRing.members.map((d) => [la(d), d]));
  const newLabels = new Map(newRing.members.map((d) => [lb(d), d]));
  const added = [...newLabels.keys()].filter((l) => !oldLabels.has(l));
  const removed = [...oldLabels.keys()].filter((l) => !newLabels.has(l));
  const cmp = compareRings(oldRing, la, newRing, lb);
  const kinds: ChangeKind[] = [];
  const report: ChangeReport = {
    kinds,
    added: added.map((l) => memberId(newLabels.get(l)!)),
    removed: removed.map((l) => memberId(oldLabels.get(l)!)),
    moved: cmp.moved,
    primaryMoved: cmp.primaryMoved,
    exact: cmp.exact,
    alternatives: [],
    readers: [],
  };
  const migrated = os.impl !== ns.impl || os.hash !== ns.hash;
  if (migrated) {
    kinds.push('migration');
    report.migration = { from: describe(os), to: describe(ns) };
  }
  if (os.replication !== ns.replication) {
    kinds.push('replication');
    report.replication = { from: os.replication, to: ns.replication };
  }
  if (added.length > 0 && removed.length > 0 && added.length === removed.length && !migrated) {
    kinds.push('replace');
    const pairs = removed.map((r, i) => ({ from: memberId(oldLabels.get(r)!), to: memberId(newLabels.get(added[i]!)!) }));
    const preserving = identityPreserving(cmp.mapping, removed, added);
    report.replace = {
      pairs,
      identityPreserving: preserving,
      note: preserving
        ? `placement is kept: every metric of ${pairs.map((p) => p.from).join(', ')} goes to ${pairs.map((p) => p.to).join(', ')} and nothing else moves (a pure bulk copy, no rehash)`
        : `${describe(ns)} hashes the member's ${keyOf(ns)}, so the new member takes other positions: ${(cmp.moved * 100).toFixed(3)} % of the keyspace changes owners, not only the replaced node's share`,
    };
    if (!preserving) report.alternatives.push(...replaceAlternatives(oldRing, la, newRing, lb, removed, added));
  } else {
    if (added.length > 0) kinds.push('add');
    if (removed.length > 0) kinds.push('remove');
  }
  if (migrated) report.alternatives.push(...migrationAlternatives(oldRing, la, newRing, lb));
  if (kinds.length === 0) kinds.push('none');
  report.readers.push(carbonLinkCheck(newRing));
  report.readers.push({
    reader: 'carbonapi / go-carbon',
    mismatch: 0,
    note: 'asks every store (and its cache): placement does not matter to it',
  });
  return report;
}

function identityPreserving(mapping: Map<string, string> | null, removed: readonly string[], added: readonly string[]): boolean {
  if (mapping === null) return false;
  for (const [from, to] of mapping) {
    if (from === to) continue;
    if (!removed.includes(from) || !added.includes(to)) return false;
  }
  return true;
}

function keyOf(spec: RingSpec): string {
  if (spec.hash === 'fnv1a_ch' && spec.impl === 'carbon-c-relay') return 'instance, or host:port when it has none';
  if (spec.hash === 'jump_fnv1a_ch') return 'position in the instance-sorted member list';
  return spec.impl === 'carbon-c-relay' ? 'host text and instance' : '(host, instance)';
}

function withDestinations(spec: RingSpec, destinations: Destination[]): RingSpec {
  return { ...spec, destinations };
}

/** Replacement alternatives that keep placement, each checked by building the ring. */
function replaceAlternatives(
  oldRing: Ring,
  la: MemberLabel,
  newRing: Ring,
  lb: MemberLabel,
  removed: readonly string[],
  added: readonly string[],
): Alternative[] {
  const ns = newRing.spec;
  const oldBy = new Map(oldRing.members.map((d) => [la(d), d]));
  const newIndex = (label: string) => ns.destinations.findIndex((d) => lb(d) === label);
  const candidates: { what: string; dests: Destination[] }[] = [];
  // 1. The new member keeps the old member's instance (c-relay fnv1a_ch/jump hash the instance alone).
  const keepInstance = ns.destinations.map((d) => ({ ...d }));
  let possible = true;
  added.forEach((a, i) => {
    const old = oldBy.get(removed[i]!)!;
    const at = newIndex(a);
    if (at < 0 || old.instance === null) possible = false;
    else keepInstance[at] = { ...keepInstance[at]!, instance: old.instance };
  });
  if (possible) candidates.push({ what: "give the new member the old member's instance (=instance)", dests: keepInstance });
  // 2. c-relay fnv1a_ch without instances hashes host:port: set the new member's instance to the old "ip:port" (c-relay #413).
  if (ns.impl === 'carbon-c-relay' && ns.hash === 'fnv1a_ch') {
    const asOld = ns.destinations.map((d) => ({ ...d }));
    added.forEach((a, i) => {
      const old = oldBy.get(removed[i]!)!;
      const at = newIndex(a);
      if (at >= 0) asOld[at] = { ...asOld[at]!, instance: old.instance ?? `${old.server}:${old.port}` };
    });
    candidates.push({ what: 'set the new member\'s instance to the old member\'s "host:port" (=instance)', dests: asOld });
  }
  // 3. Keep the old name: the new machine answers to the old host name (DNS, /etc/hosts); carbon_ch hashes the name, never the address.
  const keepName = ns.destinations.map((d) => ({ ...d }));
  added.forEach((a, i) => {
    const old = oldBy.get(removed[i]!)!;
    const at = newIndex(a);
    if (at >= 0) keepName[at] = { ...keepName[at]!, server: old.server, instance: old.instance };
  });
  candidates.push({
    what: 'keep the old host name in the config and point it at the new machine (DNS or /etc/hosts): the relays hash the name, not the address',
    dests: keepName,
  });
  return evaluate(oldRing, la, newRing, lb, candidates, removed, added);
}

/** Migration alternatives that keep (most of) the old placement. */
function migrationAlternatives(oldRing: Ring, la: MemberLabel, newRing: Ring, lb: MemberLabel): Alternative[] {
  const os = oldRing.spec;
  const ns = newRing.spec;
  const candidates: { what: string; dests: Destination[]; spec?: RingSpec }[] = [];
  // The old members, by label, for the new members (same storage): their instance and host:port.
  const oldBy = new Map(oldRing.members.map((d) => [la(d), d]));
  const counterpart = (d: Destination) => oldBy.get(lb(d));
  if (ns.impl === 'carbon-c-relay' && os.hash === 'carbon_ch' && (os.impl === 'carbon' || os.impl === 'graphite-web')) {
    // c-relay carbon_ch hashes ('host', 'instance') like carbon: the same instances keep placement (collisions aside, ring-spec §4.1).
    const dests = ns.destinations.map((d) => {
      const o = counterpart(d);
      return o === undefined ? { ...d } : { ...d, server: o.server, instance: o.instance };
    });
    candidates.push({
      what: "carbon-c-relay carbon_ch with carbon's host names and instances (=instance)",
      dests,
      spec: { ...ns, hash: 'carbon_ch', destinations: dests },
    });
  }
  if (ns.hash === 'fnv1a_ch' && ns.impl === 'carbon-c-relay' && os.hash === 'fnv1a_ch') {
    const dests = ns.destinations.map((d) => {
      const o = counterpart(d);
      return o === undefined ? { ...d } : { ...d, instance: o.instance ?? `${o.server}:${o.port}` };
    });
    candidates.push({ what: 'fnv1a_ch instances set to the old members\' "ip:port"', dests });
  }
  return evaluate(oldRing, la, newRing, lb, candidates);
}

function evaluate(
  oldRing: Ring,
  la: MemberLabel,
  newRing: Ring,
  lb: MemberLabel,
  candidates: { what: string; dests: Destination[]; spec?: RingSpec }[],
  removed: readonly string[] = [],
  added: readonly string[] = [],
): Alternative[] {
  const baseline = compareRings(oldRing, la, newRing, lb).moved;
  const out: Alternative[] = [];
  for (const c of candidates) {
    let ring: Ring;
    try {
      ring = buildRing(c.spec ?? withDestinations(newRing.spec, c.dests));
    } catch {
      continue;
    }
    // The candidate's i-th member sits where the new ring's i-th member does.
    const labelOf = new Map<string, string>();
    c.dests.forEach((d, i) => labelOf.set(memberId(d), lb(newRing.spec.destinations[i]!)));
    const cmp = compareRings(oldRing, la, ring, (d) => labelOf.get(memberId(d)) ?? memberId(d));
    const keepsPlacement = cmp.moved === 0 || identityPreserving(cmp.mapping, removed, added);
    if (cmp.moved < baseline || keepsPlacement)
      out.push({ what: c.what, destinations: c.dests.map((d) => configMember(d, ring.spec.impl)), moved: cmp.moved, keepsPlacement });
  }
  return out.sort((x, y) => Number(y.keepsPlacement) - Number(x.keepsPlacement) || x.moved - y.moved);
}
