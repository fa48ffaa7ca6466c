// carbon's ConsistentHashRing and ConsistentHashingRouter (ring-spec §2), also used for graphite-web's
// CarbonLink ring (§3). Bit-exact details:
// - nodes are (server, instance); each add places 100 replicas in index order; a replica whose
//   position is taken by any entry moves to position + 1, repeatedly, without wrapping (positions can
//   exceed 65535 — from ~656 members on they do for most replicas; placement in carbon-replicas.ts),
//   so the ring depends on the add order;
// - replica keys: carbon_ch / mmh3_ch "str((server, instance)):i" (Python repr quoting), fnv1a_ch
//   "i-str(instance)" (the server is not used at all);
// - lookup: first entry with position >= the key's (bisect_left), wrapping to entry 0;
// - get_nodes walks forward yielding each node once and never examines the entry just before the
//   start; a one-node ring yields its node up front and then again from the walk;
// - the router takes the first R nodes (DIVERSE_REPLICAS=False) or skips nodes whose server was
//   already chosen until R servers are chosen (True; graphite-web always does this).
// Metric positions stay 16-bit at any ring size, so carbon_ch / fnv1a_ch rings keep an owner table of
// 65,536 entries (exact shares and diffs, the byte path), whatever the number of ring points.
import { carbonHashFunction, carbonPositionFn, type CarbonHashType } from './carbon-hash.js';
import { CARBON_REPLICAS, placeCarbonReplicas, type CarbonReplicas } from './carbon-replicas.js';
import { isWellFormed, lowerBound, malformedPlacement, OwnerLists, PositionTable, tablePositionSpace } from './ring-support.js';
import { normalizeTaggedName } from './tag-normalize.js';
import type { Destination, Placement, PositionSpace, Ring, RingPoint, RingSpec } from './types.js';

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
  readonly hash: CarbonHashType;
  /** Node index of each add_node call (graphite-web adds a repeated host twice). */
  readonly adds: readonly number[];

  /** Replica hashes and bumped positions in add order, and the ring order (ring hash, ring show --positions). */
  readonly replicas: CarbonReplicas;
  /** Ring positions in ring order (ascending, unique): Int32Array for 16-bit hashes, Float64Array for mmh3_ch (bumps may pass 2^31 - 1). */
  private readonly positions: Int32Array | Float64Array;
  private readonly entryNode: Int32Array;
  private readonly hashOf: (key: string) => number;
  private readonly normalizeTags: boolean;
  private readonly replication: number;
  private readonly diverse: boolean;
  /** Interned owner lists: one shared array per distinct list, however late a walk is made. */
  private readonly lists = new OwnerLists();
  /** 16-bit hashes: owners for every metric position. */
  private readonly table: PositionTable | undefined;
  /** Other hashes: owners per start entry, filled on demand. */
  private readonly byStart: Map<number, readonly Destination[]> | undefined;
  /** Server index of each node, and how many distinct servers there are (diverse walks). */
  private readonly nodeServer: Int32Array;
  private readonly serverCount: number;
  /** Walk scratch: stamp of the walk that last saw a node / chose a server. */
  private readonly seenAt: Int32Array;
  private readonly serverAt: Int32Array;
  private stamp = 0;

  constructor(input: CarbonRingInput) {
    this.spec = input.spec;
    this.members = input.nodes;
    this.hash = input.hash;
    this.adds = input.adds;
    this.hashOf = carbonHashFunction(input.hash);
    this.normalizeTags = input.normalizeTags;
    this.replication = input.replication;
    this.diverse = input.diverse;

    const servers = new Map<string, number>();
    this.nodeServer = Int32Array.from(input.nodes, (d) => {
      let s = servers.get(d.server);
      if (s === undefined) servers.set(d.server, (s = servers.size));
      return s;
    });
    this.serverCount = servers.size;
    this.seenAt = new Int32Array(input.nodes.length).fill(-1);
    this.serverAt = new Int32Array(servers.size).fill(-1);

    this.replicas = placeCarbonReplicas(input.hash, input.nodes, input.adds);
    const { order, positions } = this.replicas;
    const len = order.length;
    this.positions = input.hash === 'mmh3_ch' ? new Float64Array(len) : new Int32Array(len);
    this.entryNode = new Int32Array(len);
    for (let i = 0; i < len; i++) {
      const k = order[i]!;
      this.positions[i] = positions[k]!;
      this.entryNode[i] = input.adds[(k / CARBON_REPLICAS) | 0]!;
    }
    const fn = carbonPositionFn(input.hash);
    if (fn !== undefined) {
      const table = new PositionTable(this.positions, (start) => this.walk(start));
      this.table = table;
      this.positionSpace = tablePositionSpace(fn, table);
    } else {
      this.byStart = new Map();
    }
  }

  locate(metric: string): Placement {
    return carbonRouterPlacement(this, metric, this.normalizeTags);
  }

  ownersOfKey(key: string): readonly Destination[] {
    const table = this.table;
    if (table !== undefined) return table.at(this.hashOf(key));
    const n = this.positions.length;
    let start = lowerBound(this.positions, this.hashOf(key));
    if (start === n) start = 0;
    const memo = this.byStart!;
    let owners = memo.get(start);
    if (owners === undefined) memo.set(start, (owners = this.walk(start)));
    return owners;
  }

  points(): readonly RingPoint[] {
    return Array.from(this.positions, (position, i) => ({ position, member: this.members[this.entryNode[i]!]! }));
  }

  /** Number of ring entries (100 per add_node call). */
  get size(): number {
    return this.positions.length;
  }

  /** Position and member (node index) of the i-th entry in ring order. */
  entry(i: number): { position: number; node: number } {
    return { position: this.positions[i]!, node: this.entryNode[i]! };
  }

  /**
   * get_nodes from entry `start`, filtered by the router. The walk ends where carbon's ends (every node
   * seen, or back at the entry before the start), or earlier once the router can take nothing more:
   * it has R owners, or (diverse) every server is chosen — the rest of a walk could only yield nodes
   * the router skips, which is what makes walks in rings of thousands of members short.
   */
  private walk(start: number): readonly Destination[] {
    const nodes = this.members;
    const R = this.replication;
    const chosen: Destination[] = [];
    const stamp = ++this.stamp;
    const seenAt = this.seenAt;
    const serverAt = this.serverAt;
    let servers = 0;
    const wanted = this.diverse ? Math.min(R, this.serverCount) : R;
    // true when the router has enough
    const offer = (n: number): boolean => {
      if (this.diverse) {
        const s = this.nodeServer[n]!;
        if (serverAt[s] === stamp) return false;
        serverAt[s] = stamp;
        chosen.push(nodes[n]!);
        return ++servers >= wanted;
      }
      chosen.push(nodes[n]!);
      return chosen.length >= R;
    };
    const lists = this.lists;
    if (nodes.length === 1 && offer(0)) return lists.get(chosen);
    const len = this.positions.length;
    let seenCount = 0;
    const last = (start - 1 + len) % len;
    for (let idx = start; seenCount < nodes.length && idx !== last; idx = idx + 1 === len ? 0 : idx + 1) {
      const n = this.entryNode[idx]!;
      if (seenAt[n] === stamp) continue;
      seenAt[n] = stamp;
      seenCount++;
      if (offer(n)) break;
    }
    return lists.get(chosen);
  }
}
