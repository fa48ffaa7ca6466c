// Which held rings must be the same ring, and how to name them: the relays of one tier (R17), each tool
// and the reference ring it models (R1, R21), each webapp and the ring it mirrors. Several rules look at
// the same pairs (members, order, hash, replication, replica policy); they share the pairing from here.
import type { LintContext } from './context.js';
import type { Destination, HeldRing, Holder, Webapp } from './model.js';
import { compareMembers, list, nodeKey, type MemberComparison } from './ring-compare.js';
import { mappedServer, type Mirror, type Topology } from './topology-model.js';

/** "DESTINATIONS in relay/carbon.conf". */
export const membersIn = (ctx: LintContext, r: HeldRing): string => `${r.membersName} in ${ctx.display(r.file)}`;

/** Which program's hashing a holder uses, for messages. */
export function holderName(r: HeldRing): string {
  if (r.holder === 'ringshift') return `the cluster file (impl ${r.spec.impl})`;
  return r.holder;
}

/** A relay ring's label with its file shown as the user named it. */
export function ringLabel(ctx: LintContext, r: HeldRing): string {
  return r.label.replace(r.file, ctx.display(r.file));
}

/**
 * Relays of one tier that share servers, grouped: the first (by file) of each group and the relays it is
 * compared with. Clusters of one carbon-c-relay config are deliberately different (one metric can go to
 * several), and aggregators are compared only with aggregators.
 */
export function relayGroups(topo: Topology): HeldRing[][] {
  const out: HeldRing[][] = [];
  const tiers = [topo.tier1.filter((r) => r.role === 'relay'), ...topo.tier2.values()];
  for (const rings of tiers) {
    const relays = rings.filter((r) => r.holder !== 'carbon-aggregator');
    const aggregators = rings.filter((r) => r.holder === 'carbon-aggregator');
    for (const group of [relays, aggregators]) {
      const sorted = [...group].sort((a, b) => a.file.localeCompare(b.file) || (a.section ?? '').localeCompare(b.section ?? ''));
      const done = new Set<HeldRing>();
      for (const ref of sorted) {
        if (done.has(ref)) continue;
        done.add(ref);
        const members = [ref];
        const refServers = new Set(ref.spec.destinations.map((x) => mappedServer(x.server, ref.host)));
        for (const o of sorted) {
          if (done.has(o)) continue;
          if (o.file === ref.file && o.holder === 'carbon-c-relay') continue;
          if (!o.spec.destinations.some((x) => refServers.has(mappedServer(x.server, o.host)))) continue;
          done.add(o);
          members.push(o);
        }
        if (members.length > 1) out.push(members);
      }
    }
  }
  return out;
}

/** (reference, other) for every relay compared with the first of its group. */
export function relayPairs(topo: Topology): [HeldRing, HeldRing][] {
  return relayGroups(topo).flatMap(([ref, ...others]) => others.map((o): [HeldRing, HeldRing] => [ref!, o]));
}

export function membersOfPair(ref: HeldRing, o: HeldRing): MemberComparison {
  return compareMembers(ref.spec.destinations, ref.spec, o.spec.destinations, o.spec);
}

/** "members only in X (file): a, b; only in Y (file): c". */
export function memberDelta(ctx: LintContext, a: HeldRing, onlyA: string[], b: HeldRing, onlyB: string[]): string {
  const same = a.membersName === b.membersName;
  const name = (r: HeldRing) => (same ? ctx.display(r.file) : r.membersName);
  const parts: string[] = [];
  if (onlyA.length > 0) parts.push(`members only in ${name(a)}: ${list(onlyA)}`);
  if (onlyB.length > 0) parts.push(`${parts.length > 0 ? 'only' : 'members only'} in ${name(b)}: ${list(onlyB)}`);
  return parts.join('; ');
}

/** The setting that holds a ring's hash type, as its holder calls it. */
export function hashSettingName(r: HeldRing): string {
  switch (r.holder) {
    case 'carbon-relay':
    case 'carbon-aggregator':
      return 'ROUTER_HASH_TYPE';
    case 'graphite-web':
      return 'CARBONLINK_HASHING_TYPE';
    case 'carbonate':
      return 'HASHING_TYPE';
    case 'buckyd':
      return '-hash';
    case 'carbon-c-relay':
      return 'the cluster type';
    case 'carbon-relay-ng':
      return 'the route type';
    case 'ringshift':
      return 'ring.hash';
  }
}

/** A hash type as the tool spells it. */
export function toolHash(h: string, holder: Holder): string {
  if (holder === 'buckyd') return h === 'carbon_ch' ? 'carbon' : h === 'fnv1a_ch' ? 'fnv1a' : 'jump_fnv1a';
  return h;
}

/** A reference member in the tool's own syntax. */
export function toolSyntax(x: Destination, ref: HeldRing, tool: HeldRing): string {
  const id = { ...x };
  if (x.instance === null && ref.spec.hash === 'fnv1a_ch' && (ref.spec.impl === 'carbon-c-relay' || ref.spec.impl === 'bucky')) {
    id.instance = `${x.server}:${x.port}`;
  }
  return memberSyntax(id, tool);
}

/** How replicas are placed: carbon as configured, graphite-web always host-diverse, the others never. */
export function diverseOf(r: HeldRing): boolean | undefined {
  if (r.spec.impl === 'carbon') return r.spec.diverse;
  if (r.spec.impl === 'graphite-web') return true;
  return false;
}

/** The tool lists the cache instances behind the per-host relays instead of the top relay's members. */
export function modelsTier2(topo: Topology, tool: HeldRing): boolean {
  const inner = new Set<string>();
  for (const [host, rings] of topo.tier2) {
    for (const r of rings) for (const x of r.spec.destinations) inner.add(`${mappedServer(x.server, r.host ?? host)}\0${x.instance ?? ''}`);
  }
  const mine = tool.spec.destinations.map((x) => `${x.server}\0${x.instance ?? ''}`);
  return mine.length > 0 && mine.filter((k) => inner.has(k)).length * 2 > mine.length;
}

/** A tool whose members differ from its reference because it models the wrong tier (R21, not R1). */
export function toolModelsWrongTier(topo: Topology, tool: HeldRing): boolean {
  return topo.layout === 'two-tier' && modelsTier2(topo, tool);
}

/** What a webapp is compared with: the members it must list, and how its list compares. */
export interface WebappExpectation {
  web: HeldRing;
  ring: HeldRing;
  expected: Destination[];
  cmp: MemberComparison;
  /** The webapp must list every server of the ring (so its replication must equal the relay's). */
  full: boolean;
  /** " on graphite-1", " on graphite-1, graphite-2" or "". */
  where: string;
}

export function webappExpectation(w: Webapp, m: Mirror): WebappExpectation {
  const web = w.ring!;
  const ring = m.ring;
  const servers = m.servers;
  const expected =
    servers === null
      ? ring.spec.destinations
      : ring.spec.destinations.filter((x) => servers.has(mappedServer(x.server, ring.host ?? w.host)));
  const cmp = compareMembers(expected, ring.spec, web.spec.destinations, web.spec);
  const full =
    servers === null ||
    new Set(ring.spec.destinations.map((x) => mappedServer(x.server, ring.host ?? w.host))).size ===
      expected.map((x) => x.server).filter((s, i, a) => a.indexOf(s) === i).length;
  const where = w.host !== undefined ? ` on ${w.host}` : servers !== null && servers.size > 0 ? ` on ${[...servers].join(', ')}` : '';
  return { web, ring, expected, cmp, full, where };
}

/** A webapp that lists the top relay's members where, in two tiers, it must mirror its host's relay (R21). */
export function webappModelsWrongTier(topo: Topology, e: WebappExpectation): boolean {
  if (e.cmp.sameSet || topo.layout !== 'two-tier') return false;
  const web = e.web;
  return topo.tier1.some(
    (t) =>
      compareMembers(
        t.spec.destinations.filter((x) => web.spec.destinations.some((y) => y.server === x.server)),
        t.spec,
        web.spec.destinations,
        web.spec,
      ).sameSet,
  );
}

/** How a tool's reference ring is named in messages. */
export function refWhat(ctx: LintContext, topo: Topology, ref: HeldRing): string {
  return topo.referenceIsTool
    ? `${holderName(ref)}'s (${membersIn(ctx, ref)}; no relay config was given, so this ring is the reference)`
    : `${holderName(ref)}'s (${membersIn(ctx, ref)})`;
}

/** A ring's own members in the order of `ref` (same node set), in the holder's member syntax. */
export function inOrderOf(r: HeldRing, ref: HeldRing): string[] {
  const order = ref.spec.destinations.map((x) => nodeKey(x, ref.spec));
  const mine = [...r.spec.destinations].sort((a, b) => order.indexOf(nodeKey(a, r.spec)) - order.indexOf(nodeKey(b, r.spec)));
  return mine.map((x) => memberSyntax(x, r));
}

/** A member as `r`'s holder writes it (carbon host:port:instance, bucky/c-relay host:port=instance). */
export function memberSyntax(x: Destination, r: HeldRing): string {
  const host = x.server.includes(':') ? `[${x.server}]` : x.server;
  const eq =
    r.holder === 'buckyd' ||
    r.holder === 'carbon-c-relay' ||
    (r.holder === 'ringshift' && (r.spec.impl === 'carbon-c-relay' || r.spec.impl === 'bucky'));
  if (x.instance === null) return `${host}:${x.port}`;
  return eq ? `${host}:${x.port}=${x.instance}` : `${host}:${x.port}:${x.instance}`;
}
