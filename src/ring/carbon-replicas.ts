// carbon's replica placement (ConsistentHashRing.add_node, ring-spec §2.3), the same in graphite-web:
// each added node places replicas 0..99 in order; a replica whose position is taken by any entry moves
// to position + 1, again and again, with no upper bound and no wrap. Past 655 members (65,500
// replicas in 65,536 positions) the positions run beyond 65535 and most replicas are bumped through
// long runs of taken positions; carbon scans such a run one position at a time (each test a scan of
// the whole ring), which is why a 5000-member ring takes carbon itself hours. Here the next free
// position is found with a union-find over the positions ("next free at or after p", path halving),
// so placing half a million replicas is linear; mmh3_ch's 32-bit positions rarely collide and use a set.
import { fnv1aPosition16 } from './hash/fnv1a.js';
import { md5Positions16 } from './hash/md5-batch.js';
import { mmh3Hash } from './hash/mmh3.js';
import { pyNodeTuple } from './pyrepr.js';
import type { CarbonHashType } from './carbon-hash.js';
import type { Destination } from './types.js';

export const CARBON_REPLICAS = 100;

/** The replica key carbon hashes: carbon_ch / mmh3_ch "str((server, instance)):i", fnv1a_ch "i-str(instance)". */
export function carbonReplicaKey(hash: CarbonHashType, d: Destination, i: number): string {
  return hash === 'fnv1a_ch' ? `${i}-${d.instance ?? 'None'}` : `${pyNodeTuple(d.server, d.instance)}:${i}`;
}

export interface CarbonReplicas {
  /** Hash of each replica key in add order: entry a·100 + i is replica i of the a-th add_node call. */
  readonly hashes: Int32Array | Float64Array;
  /** The entry's ring position after carbon's +1 bumps (Float64Array for mmh3_ch: bumps may pass 2^31 - 1). */
  readonly positions: Int32Array | Float64Array;
  /** Entries in ring order (ascending position; positions are unique). */
  readonly order: Int32Array;
}

/** Hash and place the replicas of `adds` (indexes into `nodes`, in add_node order). */
export function placeCarbonReplicas(hash: CarbonHashType, nodes: readonly Destination[], adds: readonly number[]): CarbonReplicas {
  return placeReplicaHashes(replicaHashes(hash, nodes, adds), hash === 'mmh3_ch' ? 'sparse' : 'dense');
}

/** Place replicas with these hashes in this order: dense = 16-bit hashes (0..65535), sparse = any integers. */
export function placeReplicaHashes(hashes: Int32Array | Float64Array, kind: 'dense' | 'sparse'): CarbonReplicas {
  return kind === 'dense' ? placeDense(hashes) : placeSparse(hashes);
}

function replicaHashes(hash: CarbonHashType, nodes: readonly Destination[], adds: readonly number[]): Int32Array | Float64Array {
  const count = adds.length * CARBON_REPLICAS;
  if (hash === 'carbon_ch') {
    // The key is the node tuple's text, a colon and 0..99: its bytes once per add, the digits per key.
    const prefixes = adds.map((n) => Buffer.from(`${pyNodeTuple(nodes[n]!.server, nodes[n]!.instance)}:`, 'utf8'));
    const unsafe = prefixes.map((b) => b.includes(0x0a) || b.includes(0x0d));
    const maxKeyBytes = Math.max(...prefixes.map((b) => b.length)) + 2;
    const pos = md5Positions16(
      count,
      (k, buf, at) => {
        const prefix = prefixes[(k / CARBON_REPLICAS) | 0]!;
        buf.set(prefix, at);
        at += prefix.length;
        const i = k % CARBON_REPLICAS;
        if (i >= 10) buf[at++] = 0x30 + ((i / 10) | 0);
        buf[at++] = 0x30 + (i % 10);
        return at;
      },
      {
        maxKeyBytes,
        unsafe: (k) => unsafe[(k / CARBON_REPLICAS) | 0]!,
        text: (k) => carbonReplicaKey(hash, nodes[adds[(k / CARBON_REPLICAS) | 0]!]!, k % CARBON_REPLICAS),
      },
    );
    return pos;
  }
  const out = hash === 'mmh3_ch' ? new Float64Array(count) : new Int32Array(count);
  for (let a = 0; a < adds.length; a++) {
    const d = nodes[adds[a]!]!;
    if (hash === 'fnv1a_ch') {
      const suffix = `-${d.instance ?? 'None'}`;
      for (let i = 0; i < CARBON_REPLICAS; i++) out[a * CARBON_REPLICAS + i] = fnv1aPosition16(i + suffix);
    } else {
      const prefix = `${pyNodeTuple(d.server, d.instance)}:`;
      for (let i = 0; i < CARBON_REPLICAS; i++) out[a * CARBON_REPLICAS + i] = mmh3Hash(prefix + i);
    }
  }
  return out;
}

/**
 * 16-bit hashes: every final position is below 65536 + entries, so the positions are an array. next[p]
 * leads to the first free position at or after p (next[p] === p: p is free); each search points the
 * path it took past the position it takes (path compression), so half a million bumps through runs
 * of tens of thousands of taken positions stay linear.
 */
function placeDense(hashes: Int32Array | Float64Array): CarbonReplicas {
  const count = hashes.length;
  if (count < DENSE_TABLES_FROM) return placeDenseSmall(hashes);
  const size = 65536 + count + 1;
  const next = new Int32Array(size);
  for (let p = 0; p < size; p++) next[p] = p;
  const slot = new Int32Array(size).fill(-1);
  const placed = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const h = hashes[k]! | 0;
    let r = h;
    while (next[r] !== r) r = next[r]!;
    for (let p = h; p !== r;) {
      const q = next[p]!;
      next[p] = r + 1;
      p = q;
    }
    next[r] = r + 1;
    slot[r] = k;
    placed[k] = r;
  }
  const order = new Int32Array(count);
  let j = 0;
  for (let p = 0; p < size; p++) {
    const k = slot[p]!;
    if (k >= 0) order[j++] = k;
  }
  return { hashes, positions: placed, order };
}

/**
 * Below this many replicas the bumps are followed in a Map of the taken positions: the two sweeps
 * of the 65536-position arrays cost more than the whole ring at start-up (a one-name `ring locate`).
 */
const DENSE_TABLES_FROM = 4096;

/** placeDense for a small ring: the same bumps, the same union-find, over the taken positions only. */
function placeDenseSmall(hashes: Int32Array | Float64Array): CarbonReplicas {
  const count = hashes.length;
  // next.get(p) === undefined: p is free (next[p] = p in placeDense).
  const next = new Map<number, number>();
  const placed = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const h = hashes[k]! | 0;
    let r = h;
    for (let n = next.get(r); n !== undefined; n = next.get(r)) r = n;
    for (let p = h; p !== r;) {
      const q = next.get(p)!;
      next.set(p, r + 1);
      p = q;
    }
    next.set(r, r + 1);
    placed[k] = r;
  }
  // Positions are distinct: ring order is the replicas sorted by position.
  const order = Int32Array.from({ length: count }, (_, k) => k).sort((a, b) => placed[a]! - placed[b]!);
  return { hashes, positions: placed, order };
}

/**
 * 32-bit hashes (mmh3_ch). Replicas only interact through bumps, and c replicas whose hashes are at
 * most m end at most at m + c - 1: sorted by hash, the replicas fall into groups that cannot reach
 * each other. A group of one keeps its hash; a larger group (a collision,
 * a few dozen in a 5000-member ring) is placed as carbon does, in add order.
 */
function placeSparse(hashes: Int32Array | Float64Array): CarbonReplicas {
  const count = hashes.length;
  // hash and entry packed into one exact double (hash + 2^31 < 2^32, entry < 2^21), sorted natively.
  if (count >= 2 ** 21) return placeSparseNaive(hashes);
  const ENTRY = 2 ** 21;
  const keys = new Float64Array(count);
  for (let k = 0; k < count; k++) keys[k] = (hashes[k]! + 2 ** 31) * ENTRY + k;
  keys.sort();
  const positions = new Float64Array(count);
  const order = new Int32Array(count);
  let j = 0;
  for (let g = 0; g < count;) {
    const start = hashOfKey(keys[g]!, ENTRY);
    let end = g + 1;
    // c replicas with hashes up to m end at most at m + c - 1: a larger hash is out of their reach.
    while (end < count && hashOfKey(keys[end]!, ENTRY) <= hashOfKey(keys[end - 1]!, ENTRY) + (end - g) - 1) end++;
    if (end === g + 1) {
      const k = keys[g]! % ENTRY;
      positions[k] = start;
      order[j++] = k;
      g = end;
      continue;
    }
    // The group, in add order, placed with carbon's bumps; then in ring order.
    const members = Array.from(keys.subarray(g, end), (key) => key % ENTRY).sort((a, b) => a - b);
    const taken = new Set<number>();
    for (const k of members) {
      let p = hashes[k]!;
      while (taken.has(p)) p++;
      taken.add(p);
      positions[k] = p;
    }
    members.sort((a, b) => positions[a]! - positions[b]!);
    for (const k of members) order[j++] = k;
    g = end;
  }
  return { hashes, positions, order };
}

function hashOfKey(key: number, entry: number): number {
  return Math.floor(key / entry) - 2 ** 31;
}

/** The plain algorithm (rings of over 20,000 members): a set of taken positions, then one sort. */
function placeSparseNaive(hashes: Int32Array | Float64Array): CarbonReplicas {
  const count = hashes.length;
  const taken = new Set<number>();
  const positions = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let p = hashes[k]!;
    while (taken.has(p)) p++;
    taken.add(p);
    positions[k] = p;
  }
  const order = Int32Array.from({ length: count }, (_, k) => k).sort((a, b) => positions[a]! - positions[b]!);
  return { hashes, positions, order };
}
