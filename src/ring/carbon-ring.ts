// carbon's ConsistentHashRing and ConsistentHashingRouter (ring-spec §2), also used for graphite-web's
// CarbonLink ring (§3). Bit-exact details:
// - nodes are (server, instance); each add places 100 replicas in index order; a replica whose
//   position is taken by any entry moves to position + 1, repeatedly, without wrapping (positions can
//   exceed 65535), so the ring depends on the add order;
// - replica keys: carbon_ch / mmh3_ch "str((server, instance)):i" (Python repr quoting), fnv1a_ch
//   "i-str(instance)" (the server is not used at all);
// - lookup: first entry with position >= the key's (bisect_left), wrapping to entry 0;
// - get_nodes walks forward yielding each node once and never examines the entry just before the
//   start; a one-node ring yields its node up front and then again from the walk;
// - the router takes the first R nodes (DIVERSE_REPLICAS=False) or skips nodes whose server was
//   already chosen until R servers are chosen (True; graphite-web always does this).
import { carbonHashFunction, carbonPositionFn, type CarbonHashType } from './carbon-hash.js';
import { pyNodeTuple } from './pyrepr.js';
import { buildPositionTable, isWellFormed, lowerBound, malformedPlacement, OwnerLists, tablePositionSpace } from './ring-support.js';
import { normalizeTaggedName } from './tag-normalize.js';
import type { Destination, Placement, PositionSpace, Ring, RingPoint, RingSpec } from './types.js';

export const CARBON_REPLICAS = 100;

/**
 * locate() of carbon's routers (consistent and fast hashing): with TAG_RELAY_NORMALIZED a tagged name
 * is routed by its normalized form, reported as routedAs when it differs from the name.
 */
export function carbonRouterPlacement(
  ring: { ownersOfKey(key: string): readonly Destination[] },
  metric: string,
  normalizeTags: boolean,
): Placement {
  if (!isWellFormed(metric)) return malformedPlacement(metric);
  if (normalizeTags) {
    const key = normalizeTaggedName(metric);
    if (key !== metric) return { metric, owners: ring.ownersOfKey(key), routedAs: key };
  }
  return { metric, owners: ring.ownersOfKey(metric) };
}

export interface CarbonRingInput {
  spec: RingSpec;
  hash: CarbonHashType;
  /** Distinct nodes in first-added order; each one is also the owner returned (server, port, instance). */
  nodes: readonly Destination[];
  /** Node indexes in the order add_node was called (graphite-web adds a repeated host twice). */
  adds: readonly number[];
  replication: number;
  diverse: boolean;
  /** Apply TAG_RELAY_NORMALIZED to names in locate(). */
  normalizeTags: boolean;
}

export class CarbonConsistentRing implements Ring {
  readonly spec: RingSpec;
  readonly members: readonly Destination[];
  readonly positionSpace?: PositionSpace;

  private readonly positions: Float64Array; // ascending, unique
  private readonly entryNode: Int32Array;
  private readonly hashOf: (key: string) => number;
  private readonly normalizeTags: boolean;
  private readonly replication: number;
  private readonly diverse: boolean;
  private readonly lists = new OwnerLists();
  /** 16-bit hashes: owners for every metric position. */
  private readonly table: (readonly Destination[])[] | undefined;
  /** Other hashes: owners per start entry, filled on demand. */
  private readonly byStart: (readonly Destination[] | undefined)[];

  constructor(input: CarbonRingInput) {
    this.spec = input.spec;
    this.members = input.nodes;
    this.hashOf = carbonHashFunction(input.hash);
    this.normalizeTags = input.normalizeTags;
    this.replication = input.replication;
    this.diverse = input.diverse;

    const taken = new Set<number>();
    const pos: number[] = [];
    const node: number[] = [];
    for (const n of input.adds) {
      const d = input.nodes[n]!;
      const prefix = input.hash === 'fnv1a_ch' ? '' : `${pyNodeTuple(d.server, d.instance)}:`;
      const suffix = `-${d.instance === null ? 'None' : d.instance}`;
      for (let i = 0; i < CARBON_REPLICAS; i++) {
        let p = this.hashOf(input.hash === 'fnv1a_ch' ? `${i}${suffix}` : `${prefix}${i}`);
        while (taken.has(p)) p++;
        taken.add(p);
        pos.push(p);
        node.push(n);
      }
    }
    const order = pos.map((_, i) => i).sort((a, b) => pos[a]! - pos[b]!);
    this.positions = Float64Array.from(order, (i) => pos[i]!);
    this.entryNode = Int32Array.from(order, (i) => node[i]!);
    this.byStart = new Array(order.length);

    const fn = carbonPositionFn(input.hash);
    if (fn !== undefined) {
      const table = buildPositionTable(this.positions, (start) => this.walk(start));
      this.table = table;
      this.positionSpace = tablePositionSpace(fn, table);
    }
  }

  locate(metric: string): Placement {
    return carbonRouterPlacement(this, metric, this.normalizeTags);
  }

  ownersOfKey(key: string): readonly Destination[] {
    const table = this.table;
    if (table !== undefined) return table[this.hashOf(key)]!;
    const n = this.positions.length;
    let start = lowerBound(this.positions, this.hashOf(key));
    if (start === n) start = 0;
    return this.byStart[start] ?? (this.byStart[start] = this.walk(start));
  }

  points(): readonly RingPoint[] {
    return Array.from(this.positions, (position, i) => ({ position, member: this.members[this.entryNode[i]!]! }));
  }

  /** get_nodes from entry `start`, filtered by the router. */
  private walk(start: number): readonly Destination[] {
    const nodes = this.members;
    const R = this.replication;
    const chosen: Destination[] = [];
    const usedServers = new Set<string>();
    // true when the router has enough
    const offer = (d: Destination): boolean => {
      if (this.diverse) {
        if (usedServers.has(d.server)) return false;
        usedServers.add(d.server);
        chosen.push(d);
        return usedServers.size >= R;
      }
      chosen.push(d);
      return chosen.length >= R;
    };
    if (nodes.length === 1 && offer(nodes[0]!)) return this.lists.get(chosen);
    const len = this.positions.length;
    const seen = new Uint8Array(nodes.length);
    let seenCount = 0;
    const last = (start - 1 + len) % len;
    for (let idx = start; seenCount < nodes.length && idx !== last; idx = (idx + 1) % len) {
      const n = this.entryNode[idx]!;
      if (seen[n] === 1) continue;
      seen[n] = 1;
      seenCount++;
      if (offer(nodes[n]!)) break;
    }
    return this.lists.get(chosen);
  }
}
