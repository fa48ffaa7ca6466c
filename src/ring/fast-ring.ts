// carbon's FastHashRing behind RELAY_METHOD = fast-hashing (ring-spec §2.7): no virtual replicas;
// nodes sorted by hash(str((server, instance))) with ROUTER_HASH_TYPE (default mmh3_ch); a metric
// starts at index hash(metric) mod n (Python modulo: never negative) and walks the sorted nodes,
// each once; the router's diverse / non-diverse selection is the consistent-hashing router's.
// Equal node hashes are ordered by Python's per-process set order upstream; here by configuration
// order (deterministic, but not necessarily the live relay's order).
import { carbonHashFunction, type CarbonHashType } from './carbon-hash.js';
import { carbonRouterPlacement } from './carbon-ring.js';
import { pyNodeTuple } from './pyrepr.js';
import { OwnerLists } from './ring-support.js';
import type { Destination, Placement, Ring, RingPoint, RingSpec } from './types.js';

export interface FastRingInput {
  spec: RingSpec;
  hash: CarbonHashType;
  /** Distinct (server, instance) nodes in configuration order. */
  nodes: readonly Destination[];
  replication: number;
  diverse: boolean;
  normalizeTags: boolean;
}

export class CarbonFastRing implements Ring {
  readonly spec: RingSpec;
  readonly members: readonly Destination[];
  private readonly sorted: readonly { hash: number; node: Destination }[];
  private readonly bySeed: (readonly Destination[])[];
  private readonly hashOf: (key: string) => number;
  private readonly normalizeTags: boolean;

  constructor(input: FastRingInput) {
    this.spec = input.spec;
    this.members = input.nodes;
    this.hashOf = carbonHashFunction(input.hash);
    this.normalizeTags = input.normalizeTags;
    this.sorted = input.nodes
      .map((node, i) => ({ hash: this.hashOf(pyNodeTuple(node.server, node.instance)), node, i }))
      .sort((a, b) => a.hash - b.hash || a.i - b.i)
      .map(({ hash, node }) => ({ hash, node }));
    const lists = new OwnerLists();
    const n = this.sorted.length;
    this.bySeed = [];
    for (let seed = 0; seed < n; seed++) {
      const chosen: Destination[] = [];
      const usedServers = new Set<string>();
      for (let k = 0; k < n; k++) {
        const d = this.sorted[(seed + k) % n]!.node;
        if (input.diverse) {
          if (usedServers.has(d.server)) continue;
          usedServers.add(d.server);
          chosen.push(d);
          if (usedServers.size >= input.replication) break;
        } else {
          chosen.push(d);
          if (chosen.length >= input.replication) break;
        }
      }
      this.bySeed.push(lists.get(chosen));
    }
  }

  locate(metric: string): Placement {
    return carbonRouterPlacement(this, metric, this.normalizeTags);
  }

  ownersOfKey(key: string): readonly Destination[] {
    const n = this.bySeed.length;
    const seed = ((this.hashOf(key) % n) + n) % n;
    return this.bySeed[seed]!;
  }

  points(): readonly RingPoint[] {
    return this.sorted.map(({ hash, node }) => ({ position: hash, member: node }));
  }
}
