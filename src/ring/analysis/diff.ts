// Ring against ring: which share of the keyspace (and of a real name list) changes owners, and where
// the primary copies flow. Counts only — a 10M-name diff keeps nothing per name.
import type { Destination, Placement, PositionFn, Ring } from '../types.js';
import { chooseMatch, identityKey, identityLabel, MemberTable, type MatchChoice, type MatchMode } from './members.js';
import { DEFAULT_SAMPLE_SIZE, sampleKey, worstStandardError } from './sample.js';

/** One side of a diff: its members and the node (match identity) each member belongs to. */
class Side {
  readonly table: MemberTable;
  private readonly nodeOfMember: number[] = [];

  constructor(
    ring: Ring,
    private readonly nodes: NodeSpace,
    readonly which: 0 | 1,
  ) {
    this.table = new MemberTable(ring.members);
    for (let i = 0; i < this.table.size; i++) this.node(i);
  }

  /** Node index of member `i`, registering the member with its node on first sight. */
  node(i: number): number {
    let n = this.nodeOfMember[i];
    if (n === undefined) {
      n = this.nodes.intern(this.table.members[i]!, this.table.ids[i]!, this.which);
      this.nodeOfMember[i] = n;
    }
    return n;
  }
}

/** The shared index of nodes (match identities) of both rings. */
class NodeSpace {
  readonly labels: string[] = [];
  /** memberIds of each node in ring A (0) and ring B (1). */
  readonly memberIds: [string[][], string[][]] = [[], []];
  private readonly byKey = new Map<string, number>();

  constructor(readonly mode: MatchMode) {}

  intern(d: Destination, id: string, which: 0 | 1): number {
    const key = identityKey(d, this.mode);
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.labels.length;
      this.byKey.set(key, n);
      this.labels.push(identityLabel(d, this.mode));
      this.memberIds[0].push([]);
      this.memberIds[1].push([]);
    }
    const ids = this.memberIds[which][n]!;
    if (!ids.includes(id)) ids.push(id);
    return n;
  }

  get size(): number {
    return this.labels.length;
  }
}

// Flow keys pack (member in A, member in B) into one number; +1 so "no owner" (-1) fits.
const FLOW_SHIFT = 2 ** 21;

/** Counters of one comparison (keyspace or metric list). */
class DiffCounter {
  total = 0;
  ownersChanged = 0;
  primaryChanged = 0;
  ownerSetChanged = 0;
  /** Per node: [primary A, any A, primary B, any B]. */
  readonly nodeCounts: number[][] = [];
  readonly flows = new Map<number, number>();
  private readonly seen: [number[], number[]] = [[], []];
  private readonly na: number[] = [];
  private readonly nb: number[] = [];

  constructor(
    private readonly a: Side,
    private readonly b: Side,
  ) {}

  /** Count one key; true when its owner list changed. */
  add(oa: readonly Destination[], ob: readonly Destination[]): boolean {
    const stamp = this.total++;
    const pa = this.side(this.a, oa, this.na, 0, stamp);
    const pb = this.side(this.b, ob, this.nb, 1, stamp);
    const la = oa.length;
    const lb = ob.length;
    const na = this.na;
    const nb = this.nb;
    const primaryMoved = la === 0 || lb === 0 ? la !== lb : na[0] !== nb[0];
    if (primaryMoved) {
      this.primaryChanged++;
      const key = (pa + 1) * FLOW_SHIFT + (pb + 1);
      this.flows.set(key, (this.flows.get(key) ?? 0) + 1);
    }
    let same = la === lb;
    for (let k = 0; same && k < la; k++) same = na[k] === nb[k];
    if (same) return false;
    this.ownersChanged++;
    if (!sameSet(na, la, nb, lb)) this.ownerSetChanged++;
    return true;
  }

  /** Record one side's owners as node indices in `out`; returns the primary's member index or -1. */
  private side(s: Side, owners: readonly Destination[], out: number[], which: 0 | 1, stamp: number): number {
    let primary = -1;
    const seen = this.seen[which];
    for (let k = 0; k < owners.length; k++) {
      const m = s.table.indexOf(owners[k]!);
      const n = s.node(m);
      out[k] = n;
      let c = this.nodeCounts[n];
      if (c === undefined) c = this.nodeCounts[n] = [0, 0, 0, 0];
      if (k === 0) {
        primary = m;
        c[which * 2]!++;
      }
      if (seen[n] !== stamp) {
        seen[n] = stamp;
        c[which * 2 + 1]!++;
      }
    }
    return primary;
  }
}

function sameSet(na: number[], la: number, nb: number[], lb: number): boolean {
  for (let i = 0; i < la; i++) if (!contains(nb, lb, na[i]!)) return false;
  for (let i = 0; i < lb; i++) if (!contains(na, la, nb[i]!)) return false;
  return true;
}

function contains(xs: number[], len: number, x: number): boolean {
  for (let i = 0; i < len; i++) if (xs[i] === x) return true;
  return false;
}

export interface NodeShareDiff {
  /** The node as matched: memberId, "server[:instance]" or "server" depending on the match mode. */
  node: string;
  /** memberIds of the node in the --from and --to ring (empty when it is not in that ring). */
  from: string[];
  to: string[];
  primaryBefore: number;
  primaryAfter: number;
  anyBefore: number;
  anyAfter: number;
}

export interface Flow<T> {
  /** memberId of the primary owner in --from (null: no owner, e.g. a name c-relay drops). */
  from: string | null;
  to: string | null;
  amount: T;
}

export interface ComparisonCounts {
  total: number;
  ownersChanged: number;
  primaryChanged: number;
  ownerSetChanged: number;
  nodes: NodeShareDiff[];
  flows: Flow<number>[];
}

export interface MetricDiff extends ComparisonCounts {
  droppedFrom: number;
  droppedTo: number;
  errorsFrom: number;
  errorsTo: number;
}

export interface RingDiff {
  /** True when every 16-bit position was compared; false for a sample estimate. */
  exact: boolean;
  method: 'positions' | 'sample';
  positionFn?: PositionFn | `${PositionFn} vs ${PositionFn}` | undefined;
  /** Limits of exactness, e.g. ASCII keys only for fnv1a32-16 vs its signed-char twin. */
  caveat?: string;
  /** sample: the largest standard error of any keyspace share. */
  standardError?: number;
  match: MatchChoice;
  /** Keyspace comparison; counts are positions or samples, shares = count / total. */
  keyspace: ComparisonCounts;
  /** Node labels present in only one ring. */
  onlyFrom: string[];
  onlyTo: string[];
  /** Counted on real names, when given. */
  metrics?: MetricDiff;
}

export interface MovedListener {
  /** Called for each name whose owner list changed; return true to have flush() awaited after the batch. */
  moved(metric: string, before: Placement, after: Placement): boolean;
  flush(): Promise<void>;
}

export interface DiffOptions {
  match?: MatchMode | 'auto' | undefined;
  sampleSize?: number | undefined;
  /** Real names to count (streamed). */
  names?: AsyncIterable<readonly string[]> | undefined;
  listener?: MovedListener | undefined;
}

const SIGNED_FNV_CAVEAT =
  'exact for ASCII routing keys only: carbon-c-relay hashes bytes >= 0x80 as signed chars (fnv1a32-16-signed), ' +
  'so keys with non-ASCII bytes land elsewhere; counts over given metrics are exact for every name';

/** When both rings map a key to the same 16-bit position, the keyspace can be compared position by position. */
export function positionComparison(a: Ring, b: Ring): { fn: RingDiff['positionFn']; caveat?: string } | undefined {
  const pa = a.positionSpace;
  const pb = b.positionSpace;
  if (!pa || !pb || pa.size !== pb.size) return undefined;
  if (pa.fn === pb.fn) return { fn: pa.fn };
  const fns = new Set([pa.fn, pb.fn]);
  if (fns.has('fnv1a32-16') && fns.has('fnv1a32-16-signed')) {
    return { fn: `${pa.fn} vs ${pb.fn}`, caveat: SIGNED_FNV_CAVEAT };
  }
  return undefined;
}

/**
 * Compare two rings. Keyspace: position by position when both hash keys to the same 16-bit positions
 * (exact), else over a deterministic sample of routing keys. Names (optional): each name located in
 * both rings, exactly as each implementation routes it (cleansing, tag normalisation included).
 */
export async function diffRings(from: Ring, to: Ring, opts: DiffOptions = {}): Promise<RingDiff> {
  const match = chooseMatch(from.members, to.members, opts.match ?? 'auto');
  const nodes = new NodeSpace(match.mode);
  const a = new Side(from, nodes, 0);
  const b = new Side(to, nodes, 1);

  const keyspace = new DiffCounter(a, b);
  const cmp = positionComparison(from, to);
  const out: Partial<RingDiff> = { match };
  if (cmp) {
    const pa = from.positionSpace!;
    const pb = to.positionSpace!;
    for (let p = 0; p < pa.size; p++) keyspace.add(pa.ownersAt(p), pb.ownersAt(p));
    out.exact = true;
    out.method = 'positions';
    out.positionFn = cmp.fn;
    if (cmp.caveat !== undefined) out.caveat = cmp.caveat;
  } else {
    const n = opts.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    for (let i = 0; i < n; i++) {
      const key = sampleKey(i);
      keyspace.add(from.ownersOfKey(key), to.ownersOfKey(key));
    }
    out.exact = false;
    out.method = 'sample';
    out.standardError = worstStandardError(n);
  }

  let metrics: MetricDiff | undefined;
  if (opts.names) metrics = await diffNames(from, to, a, b, nodes, opts.names, opts.listener);

  const onlyFrom: string[] = [];
  const onlyTo: string[] = [];
  for (let n = 0; n < nodes.size; n++) {
    const inA = nodes.memberIds[0][n]!.length > 0;
    const inB = nodes.memberIds[1][n]!.length > 0;
    if (inA && !inB) onlyFrom.push(nodes.labels[n]!);
    if (inB && !inA) onlyTo.push(nodes.labels[n]!);
  }
  return {
    exact: out.exact!,
    method: out.method!,
    ...(out.positionFn !== undefined ? { positionFn: out.positionFn } : {}),
    ...(out.caveat !== undefined ? { caveat: out.caveat } : {}),
    ...(out.standardError !== undefined ? { standardError: out.standardError } : {}),
    match,
    keyspace: summarise(keyspace, a, b, nodes, true),
    onlyFrom,
    onlyTo,
    ...(metrics ? { metrics } : {}),
  };
}

async function diffNames(
  from: Ring,
  to: Ring,
  a: Side,
  b: Side,
  nodes: NodeSpace,
  names: AsyncIterable<readonly string[]>,
  listener: MovedListener | undefined,
): Promise<MetricDiff> {
  const counter = new DiffCounter(a, b);
  let droppedFrom = 0;
  let droppedTo = 0;
  let errorsFrom = 0;
  let errorsTo = 0;
  for await (const batch of names) {
    let wantFlush = false;
    for (const name of batch) {
      const pa = from.locate(name);
      const pb = to.locate(name);
      if (pa.dropped) droppedFrom++;
      if (pb.dropped) droppedTo++;
      if (pa.error !== undefined) errorsFrom++;
      if (pb.error !== undefined) errorsTo++;
      if (counter.add(pa.owners, pb.owners) && listener && listener.moved(name, pa, pb)) wantFlush = true;
    }
    if (wantFlush) await listener!.flush();
  }
  return { ...summarise(counter, a, b, nodes, false), droppedFrom, droppedTo, errorsFrom, errorsTo };
}

function summarise(c: DiffCounter, a: Side, b: Side, nodes: NodeSpace, asShare: boolean): ComparisonCounts {
  const t = c.total;
  const scale = (x: number): number => (asShare ? (t > 0 ? x / t : 0) : x);
  const nodeRows: NodeShareDiff[] = [];
  for (let n = 0; n < nodes.size; n++) {
    const k = c.nodeCounts[n] ?? [0, 0, 0, 0];
    nodeRows.push({
      node: nodes.labels[n]!,
      from: nodes.memberIds[0][n]!,
      to: nodes.memberIds[1][n]!,
      primaryBefore: scale(k[0]!),
      anyBefore: scale(k[1]!),
      primaryAfter: scale(k[2]!),
      anyAfter: scale(k[3]!),
    });
  }
  const flows: Flow<number>[] = [];
  for (const [key, count] of c.flows) {
    const ia = Math.floor(key / FLOW_SHIFT) - 1;
    const ib = (key % FLOW_SHIFT) - 1;
    flows.push({
      from: ia < 0 ? null : a.table.ids[ia]!,
      to: ib < 0 ? null : b.table.ids[ib]!,
      amount: scale(count),
    });
  }
  flows.sort((x, y) => y.amount - x.amount || cmpId(x.from, y.from) || cmpId(x.to, y.to));
  return {
    total: t,
    ownersChanged: scale(c.ownersChanged),
    primaryChanged: scale(c.primaryChanged),
    ownerSetChanged: scale(c.ownerSetChanged),
    nodes: nodeRows,
    flows,
  };
}

function cmpId(x: string | null, y: string | null): number {
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}
