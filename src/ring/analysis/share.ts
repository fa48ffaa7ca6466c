// Each member's share of the keyspace: exact where the keyspace can be enumerated (16-bit positions of
// carbon_ch / fnv1a_ch), exact by construction for jump hash, estimated from a fixed sample otherwise.
import type { Destination, PositionFn, Ring } from '../types.js';
import { MemberTable } from './members.js';
import { DEFAULT_SAMPLE_SIZE, sampleKey, worstStandardError } from './sample.js';

/**
 * positions: every 16-bit position enumerated (exact);
 * jump:      jump consistent hash gives every bucket 1/n of the hash space by construction;
 * sample:    estimated over DEFAULT_SAMPLE_SIZE deterministic routing keys.
 */
export type ShareMethod = 'positions' | 'jump' | 'sample';

export interface MemberShare {
  member: Destination;
  id: string;
  /** Fraction of the keyspace whose primary owner is this member. */
  primary: number;
  /** Fraction of the keyspace for which this member is any owner (primary or replica). */
  any: number;
}

export interface Imbalance {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation over the members. */
  stddev: number;
  /** max / mean: 1 is perfect balance; 1.2 means the fullest member holds 20 % more than average. */
  maxOverMean: number;
}

export interface ShareReport {
  method: ShareMethod;
  exact: boolean;
  /** Positions enumerated (65536) or keys sampled. Absent for jump. */
  total?: number;
  positionFn?: PositionFn;
  /** sample only: the largest standard error of any share. */
  standardError?: number;
  replication: number;
  members: MemberShare[];
  imbalance: Imbalance;
  /** Over the any-owner shares; only when replication > 1. */
  anyImbalance?: Imbalance;
}

/** Owner counters for one ring, indexed like its MemberTable. */
export class OwnerCounts {
  readonly primary: number[] = [];
  readonly any: number[] = [];
  total = 0;
  private readonly seen: number[] = [];

  constructor(readonly table: MemberTable) {
    for (let i = 0; i < table.size; i++) {
      this.primary.push(0);
      this.any.push(0);
      this.seen.push(-1);
    }
  }

  add(owners: readonly Destination[]): void {
    const stamp = this.total++;
    for (let k = 0; k < owners.length; k++) {
      const i = this.table.indexOf(owners[k]!);
      if (i >= this.primary.length) this.grow(i);
      if (k === 0) this.primary[i]!++;
      // carbon's one-node ring lists its node twice: count it once.
      if (this.seen[i] !== stamp) {
        this.seen[i] = stamp;
        this.any[i]!++;
      }
    }
  }

  private grow(i: number): void {
    while (this.primary.length <= i) {
      this.primary.push(0);
      this.any.push(0);
      this.seen.push(-1);
    }
  }
}

export interface ShareOptions {
  /** Sample size for rings that cannot be enumerated. */
  sampleSize?: number | undefined;
}

/** Every member's share of the keyspace (the space of routing-key hashes). */
export function keyspaceShares(ring: Ring, opts: ShareOptions = {}): ShareReport {
  const table = new MemberTable(ring.members);
  const replication = ring.spec.replication;
  if (ring.positionSpace) {
    const ps = ring.positionSpace;
    const counts = new OwnerCounts(table);
    for (let p = 0; p < ps.size; p++) counts.add(ps.ownersAt(p));
    return report('positions', true, table, counts, replication, { total: ps.size, positionFn: ps.fn });
  }
  if (ring.spec.hash === 'jump_fnv1a_ch') {
    // Lamping–Veach: a key lands in each of n buckets with probability 1/n; c-relay's replicas re-run
    // jump on the remaining n-1, n-2, … servers, so each server is among the R owners with probability R/n.
    const n = table.size;
    const r = Math.min(replication, n);
    const members = table.members.map((m, i) => ({ member: m, id: table.ids[i]!, primary: 1 / n, any: r / n }));
    return finish('jump', true, members, replication, {});
  }
  const n = opts.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const counts = new OwnerCounts(table);
  for (let i = 0; i < n; i++) counts.add(ring.ownersOfKey(sampleKey(i)));
  return report('sample', false, table, counts, replication, { total: n, standardError: worstStandardError(n) });
}

function report(
  method: ShareMethod,
  exact: boolean,
  table: MemberTable,
  counts: OwnerCounts,
  replication: number,
  extra: Pick<ShareReport, 'total' | 'positionFn' | 'standardError'>,
): ShareReport {
  const t = counts.total;
  const members = table.members.map((m, i) => ({
    member: m,
    id: table.ids[i]!,
    primary: t > 0 ? (counts.primary[i] ?? 0) / t : 0,
    any: t > 0 ? (counts.any[i] ?? 0) / t : 0,
  }));
  return finish(method, exact, members, replication, extra);
}

function finish(
  method: ShareMethod,
  exact: boolean,
  members: MemberShare[],
  replication: number,
  extra: Pick<ShareReport, 'total' | 'positionFn' | 'standardError'>,
): ShareReport {
  const out: ShareReport = {
    method,
    exact,
    ...extra,
    replication,
    members,
    imbalance: imbalance(members.map((m) => m.primary)),
  };
  if (replication > 1) out.anyImbalance = imbalance(members.map((m) => m.any));
  return out;
}

/** min, max, mean, population stddev and max/mean of a list of shares (or counts). */
export function imbalance(values: readonly number[]): Imbalance {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, stddev: 0, maxOverMean: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  return { min, max, mean, stddev: Math.sqrt(sq / values.length), maxOverMean: mean > 0 ? max / mean : 0 };
}

export interface NameDistribution {
  /** Names read. */
  total: number;
  /** c-relay: names with nothing left to route. */
  dropped: number;
  /** Names the ring could not place (Placement.error). */
  errors: number;
  members: { member: Destination; id: string; primary: number; any: number }[];
}

/** How a list of real names spreads over the members (counts, streamed, nothing stored). */
export async function nameDistribution(ring: Ring, batches: AsyncIterable<readonly string[]>): Promise<NameDistribution> {
  const table = new MemberTable(ring.members);
  const counts = new OwnerCounts(table);
  let total = 0;
  let dropped = 0;
  let errors = 0;
  for await (const batch of batches) {
    for (const name of batch) {
      const p = ring.locate(name);
      total++;
      if (p.dropped) dropped++;
      else if (p.error !== undefined) errors++;
      else counts.add(p.owners);
    }
  }
  return {
    total,
    dropped,
    errors,
    members: table.members.map((m, i) => ({
      member: m,
      id: table.ids[i]!,
      primary: counts.primary[i] ?? 0,
      any: counts.any[i] ?? 0,
    })),
  };
}
