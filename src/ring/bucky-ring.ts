// buckytools' hashing package (ring-spec §5). One owner per metric (GetNode); replication > 1 is not
// supported (its jump GetNodes panics), which buildRing refuses.
// - CarbonHashRing: keys "('server', None):i" / "('server', 'instance'):i" (Go formatting, no
//   escaping), MD5 first two bytes, 100 replicas; no collision bump: an entry is inserted after every
//   entry comparing <= on (position, server, instance), an empty instance ("None") sorting first;
//   lookup = first entry with position >= the key's, wrapping.
// - FNV1aHashRing: keys "i-server:port" or "i-instance", FNV-1a 32 over unsigned bytes, same order.
// - JumpHashRing: members with an instance inserted before the first member whose instance is larger
//   as a string ("10" < "2"), members without instance appended; 64-bit FNV-1a (unsigned) + jump.
import { fnv1a64Into, fnv1aPosition16 } from './hash/fnv1a.js';
import { jumpBucket } from './hash/jump.js';
import { md5Position16 } from './hash/md5.js';
import { plainNodeTuple } from './pyrepr.js';
import { compareBytes, isWellFormed, malformedPlacement, OwnerLists, PositionTable, tablePositionSpace } from './ring-support.js';
import type { Destination, Placement, PositionSpace, Ring, RingPoint, RingSpec } from './types.js';

export const BUCKY_REPLICAS = 100;

export interface BuckyRingInput {
  spec: RingSpec;
  /** Distinct members in configuration order (the owners returned). */
  nodes: readonly Destination[];
  /** Node index of every configured member in order (AddNode calls; repeats included). */
  adds: readonly number[];
}

/** Go's Node.Instance: "" stands for no instance. */
function goInstance(d: Destination): string {
  return d.instance ?? '';
}

/** A replica key as buckytools formats it. */
export function buckyReplicaKey(hash: 'carbon_ch' | 'fnv1a_ch', d: Destination, i: number): string {
  const inst = goInstance(d);
  return hash === 'carbon_ch'
    ? `${plainNodeTuple(d.server, inst === '' ? null : inst)}:${i}`
    : `${i}-${inst === '' ? `${d.server}:${d.port}` : inst}`;
}

abstract class BuckyRouting implements Ring {
  readonly spec: RingSpec;
  readonly members: readonly Destination[];
  /** Node index of every AddNode call, in order. */
  readonly adds: readonly number[];
  protected constructor(input: BuckyRingInput) {
    this.spec = input.spec;
    this.members = input.nodes;
    this.adds = input.adds;
  }
  abstract ownersOfKey(key: string): readonly Destination[];
  abstract points(): readonly RingPoint[];
  locate(metric: string): Placement {
    if (!isWellFormed(metric)) return malformedPlacement(metric);
    return { metric, owners: this.ownersOfKey(metric) };
  }
}

export class BuckyConsistentRing extends BuckyRouting {
  readonly positionSpace: PositionSpace;
  readonly hash: 'carbon_ch' | 'fnv1a_ch';
  private readonly entries: readonly { pos: number; node: number }[];
  private readonly table: PositionTable;
  private readonly positionOf: (key: string) => number;

  constructor(input: BuckyRingInput, hash: 'carbon_ch' | 'fnv1a_ch') {
    super(input);
    this.hash = hash;
    const carbon = hash === 'carbon_ch';
    this.positionOf = carbon ? md5Position16 : fnv1aPosition16;
    const raw: { pos: number; node: number; seq: number }[] = [];
    for (const n of input.adds) {
      const d = input.nodes[n]!;
      for (let i = 0; i < BUCKY_REPLICAS; i++) {
        raw.push({ pos: this.positionOf(buckyReplicaKey(hash, d, i)), node: n, seq: raw.length });
      }
    }
    // Insertion after all entries comparing <= is a stable sort on (position, server, instance).
    const nodes = input.nodes;
    raw.sort((a, b) => {
      if (a.pos !== b.pos) return a.pos - b.pos;
      const x = nodes[a.node]!;
      const y = nodes[b.node]!;
      return compareBytes(x.server, y.server) || compareBytes(goInstance(x), goInstance(y)) || a.seq - b.seq;
    });
    this.entries = raw.map(({ pos, node }) => ({ pos, node }));
    const lists = new OwnerLists();
    const table = new PositionTable(
      Int32Array.from(this.entries, (e) => e.pos),
      (start) => lists.get([nodes[this.entries[start]!.node]!]),
    );
    this.table = table;
    this.positionSpace = tablePositionSpace(carbon ? 'md5-16' : 'fnv1a32-16', table);
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.table.at(this.positionOf(key));
  }

  points(): readonly RingPoint[] {
    return this.entries.map((e) => ({ position: e.pos, member: this.members[e.node]! }));
  }
}

export class BuckyJumpRing extends BuckyRouting {
  private readonly buckets: readonly (readonly Destination[])[];
  private readonly hash = new Uint32Array(2);

  constructor(input: BuckyRingInput) {
    super(input);
    const ring: Destination[] = [];
    for (const n of input.adds) {
      const d = input.nodes[n]!;
      const inst = goInstance(d);
      if (inst === '') {
        ring.push(d);
        continue;
      }
      let i = 0;
      while (i < ring.length && compareBytes(inst, goInstance(ring[i]!)) >= 0) i++;
      ring.splice(i, 0, d);
    }
    const lists = new OwnerLists();
    this.buckets = ring.map((d) => lists.get([d]));
  }

  ownersOfKey(key: string): readonly Destination[] {
    fnv1a64Into(key, false, this.hash);
    return this.buckets[jumpBucket(this.hash[0]!, this.hash[1]!, this.buckets.length)]!;
  }

  points(): readonly RingPoint[] {
    return this.buckets.map((owners, bucket) => ({ position: bucket, member: owners[0]! }));
  }
}
