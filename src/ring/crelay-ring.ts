// carbon-c-relay cluster rings (ring-spec §4, consistent-hash.c):
//
// carbon_ch / fnv1a_ch — 100 entries per member; keys are formatted into a 256-byte buffer (longer
// text is cut at 255 bytes): carbon_ch "('host', 'instance'):i" / "('host', None):i" with no escaping,
// fnv1a_ch "i-instance" or, without instance, "i-host:port"; fnv1a bytes are signed chars. No
// collision bump: all entries are sorted (glibc merge sort) by position, then host (strcmp), then
// instance with "no instance" last (carbon_ch) or port (fnv1a_ch); then every entry equal in position
// to its predecessor takes the predecessor's server. Lookup: first entry >= the metric's position,
// wrapping; replicas: walk on, taking each server (address:port) not taken yet, until R. No diverse
// option. If fewer than R servers own any entry the relay would spin forever: refused.
//
// jump_fnv1a_ch — members with an instance first, ordered by instance (compared as numbers when both
// parse entirely with strtol, else strcmp), members without instance after them in configuration
// order; bucket = jump(FNV-1a 64 of the key, signed chars); each further replica: one xorshift64*
// step, the chosen bucket replaced by the last one, jump over one bucket fewer.
import { CrelaySanitizer, crelayRawKey } from './crelay-sanitize.js';
import { fnv1a32OfBytes, fnv1a64Into, fnv1aPosition16Signed, fold16 } from './hash/fnv1a.js';
import { jumpBucket, xorshift64star } from './hash/jump.js';
import { md5Position16, md5Position16OfBytes } from './hash/md5.js';
import { plainNodeTuple } from './pyrepr.js';
import {
  compareBytes,
  glibcMergeSort,
  isWellFormed,
  malformedPlacement,
  NO_OWNERS,
  OwnerLists,
  PositionTable,
  ringConfigError,
  tablePositionSpace,
} from './ring-support.js';
import type { Destination, Placement, PositionSpace, Ring, RingPoint, RingSpec } from './types.js';

export const CRELAY_REPLICAS = 100;
/** snprintf into char buf[256]. */
const KEY_BUFFER = 256;

export interface CrelayRingInput {
  spec: RingSpec;
  /** Distinct servers (address:port) in configuration order, each with the instance it was first given. */
  servers: readonly Destination[];
  /** Server index of every configured member, in configuration order (repeats included). */
  memberServers: readonly number[];
  replication: number;
  sanitize: boolean;
  /** carbon-c-relay -c (default "-_:#"). */
  allowedChars?: string;
}

const utf8 = new TextEncoder();

/** A replica key as c-relay formats it (before the cut to its 256-byte buffer, see crelayKeyBytes). */
export function crelayReplicaKey(hash: 'carbon_ch' | 'fnv1a_ch', s: Destination, i: number): string {
  if (hash === 'carbon_ch') return `${plainNodeTuple(s.server, s.instance)}:${i}`;
  return s.instance === null ? `${i}-${s.server}:${s.port}` : `${i}-${s.instance}`;
}

/** The bytes hashed for a replica key: the formatted text cut to what fits in the 256-byte buffer. */
export function crelayKeyBytes(text: string): Uint8Array {
  const b = utf8.encode(text);
  return b.length < KEY_BUFFER ? b : b.subarray(0, KEY_BUFFER - 1);
}

/** Routing step shared by all c-relay rings: daemon cleaning (or raw -t keys), then owners. */
abstract class CrelayRouting implements Ring {
  readonly spec: RingSpec;
  readonly members: readonly Destination[];
  private readonly sanitizer: CrelaySanitizer | undefined;

  protected constructor(input: CrelayRingInput) {
    this.spec = input.spec;
    this.members = input.servers;
    this.sanitizer = input.sanitize ? new CrelaySanitizer(input.allowedChars) : undefined;
  }

  abstract ownersOfKey(key: string): readonly Destination[];
  abstract points(): readonly RingPoint[];

  locate(metric: string): Placement {
    if (!isWellFormed(metric)) return malformedPlacement(metric);
    const s = this.sanitizer;
    if (s === undefined) {
      const key = crelayRawKey(metric);
      return key === metric ? { metric, owners: this.ownersOfKey(key) } : { metric, owners: this.ownersOfKey(key), hashKey: key };
    }
    const r = s.clean(metric);
    if (r.dropped) return { metric, owners: NO_OWNERS, dropped: true, reason: r.reason };
    const { routedAs, hashKey } = r;
    const owners = this.ownersOfKey(hashKey);
    if (routedAs === metric) return hashKey === metric ? { metric, owners } : { metric, owners, hashKey };
    return hashKey === routedAs ? { metric, owners, routedAs } : { metric, owners, routedAs, hashKey };
  }
}

interface Entry {
  pos: number;
  server: number;
}

export class CrelayConsistentRing extends CrelayRouting {
  readonly positionSpace: PositionSpace;
  readonly hash: 'carbon_ch' | 'fnv1a_ch';
  /** Server index of every configured member, in configuration order (the replica keys' order). */
  readonly memberServers: readonly number[];
  private readonly entries: readonly Entry[];
  private readonly table: PositionTable;
  private readonly positionOf: (key: string) => number;

  constructor(input: CrelayRingInput, hash: 'carbon_ch' | 'fnv1a_ch') {
    super(input);
    this.hash = hash;
    this.memberServers = input.memberServers;
    const servers = input.servers;
    const carbon = hash === 'carbon_ch';
    this.positionOf = carbon ? md5Position16 : fnv1aPosition16Signed;
    const raw: Entry[] = [];
    for (const si of input.memberServers) {
      const s = servers[si]!;
      for (let i = 0; i < CRELAY_REPLICAS; i++) {
        const b = crelayKeyBytes(crelayReplicaKey(hash, s, i));
        const pos = carbon ? md5Position16OfBytes(b) : fold16(fnv1a32OfBytes(b, b.length, true));
        raw.push({ pos, server: si });
      }
    }
    const sorted = glibcMergeSort(raw, (l, r) => {
      if (l.pos !== r.pos) return l.pos - r.pos;
      const a = servers[l.server]!;
      const b = servers[r.server]!;
      const d = compareBytes(a.server, b.server);
      if (d !== 0) return d;
      if (!carbon) return a.port - b.port;
      if (a.instance === null) return b.instance === null ? 0 : 1;
      if (b.instance === null) return -1;
      return compareBytes(a.instance, b.instance);
    });
    // A contested position belongs entirely to the first-sorted member.
    const entries: Entry[] = sorted.map((e) => ({ pos: e.pos, server: e.server }));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.pos === entries[i - 1]!.pos) entries[i]!.server = entries[i - 1]!.server;
    }
    this.entries = entries;

    const owning = new Set(entries.map((e) => e.server));
    if (owning.size < input.replication) {
      const starved = servers.filter((_, i) => !owning.has(i)).map((d) => `${d.server}:${d.port}`);
      throw ringConfigError(
        input.spec,
        `carbon-c-relay would spin forever: replication ${input.replication} but only ${owning.size} server(s) own ring positions` +
          (starved.length > 0 ? ` (${starved.join(', ')} lose every position to members sharing their keys)` : ''),
        `replication <= ${owning.size}, or distinct instances / hosts so every member keeps positions`,
      );
    }

    const lists = new OwnerLists();
    const positions = Int32Array.from(entries, (e) => e.pos);
    const table = new PositionTable(positions, (start) => {
      const chosen: Destination[] = [];
      const taken = new Set<number>();
      for (let t = start; chosen.length < input.replication; t = (t + 1) % entries.length) {
        const si = entries[t]!.server;
        if (taken.has(si)) continue;
        taken.add(si);
        chosen.push(servers[si]!);
      }
      return lists.get(chosen);
    });
    this.table = table;
    this.positionSpace = tablePositionSpace(carbon ? 'md5-16' : 'fnv1a32-16-signed', table);
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.table.at(this.positionOf(key));
  }

  points(): readonly RingPoint[] {
    return this.entries.map((e) => ({ position: e.pos, member: this.members[e.server]! }));
  }
}

/** C strtol(s, &end, 10) when it consumes the whole string (the relay's "is numeric" test), else null. */
export function strtolWhole(s: string): bigint | null {
  if (s === '') return 0n; // no digits: end = s, and *end is the terminator
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  return v > max ? max : v < min ? min : v; // strtol clamps on overflow
}

/** entrycmp_jump_fnv1a: instance members first (numeric or strcmp order), the rest in config order. */
export function crelayJumpCompare(a: { instance: string | null; index: number }, b: { instance: string | null; index: number }): number {
  if (a.instance === null && b.instance === null) return a.index - b.index;
  if (a.instance === null) return 1;
  if (b.instance === null) return -1;
  const l = strtolWhole(a.instance);
  if (l !== null) {
    const r = strtolWhole(b.instance);
    // (int)(val_l - val_r): a 64-bit difference truncated to int.
    if (r !== null) return Number(BigInt.asIntN(32, BigInt.asIntN(64, l - r)));
  }
  return compareBytes(a.instance, b.instance);
}

export class CrelayJumpRing extends CrelayRouting {
  /** Server index per bucket. */
  private readonly buckets: Int32Array;
  /** The position c-relay gives each bucket's entry: the member's index in the configuration (its -d dump). */
  readonly bucketConfigIndex: Int32Array;
  private readonly replication: number;
  private readonly single: (readonly Destination[])[];
  private readonly memo = new Map<number, readonly Destination[]>();
  private readonly lists = new OwnerLists();
  private readonly hash = new Uint32Array(2);
  private readonly work: Int32Array;
  private readonly picked: Int32Array;
  private readonly memoizable: boolean;

  constructor(input: CrelayRingInput) {
    super(input);
    const servers = input.servers;
    const ordered = glibcMergeSort(
      input.memberServers.map((si, index) => ({ instance: servers[si]!.instance, index, si })),
      crelayJumpCompare,
    );
    this.buckets = Int32Array.from(ordered, (o) => o.si);
    this.bucketConfigIndex = Int32Array.from(ordered, (o) => o.index);
    this.work = new Int32Array(this.buckets.length);
    this.picked = new Int32Array(input.replication);
    this.replication = input.replication;
    this.single = Array.from(this.buckets, (si) => this.lists.get([servers[si]!]));
    this.memoizable = Math.pow(this.buckets.length, this.replication) <= Number.MAX_SAFE_INTEGER;
  }

  ownersOfKey(key: string): readonly Destination[] {
    const h = this.hash;
    fnv1a64Into(key, true, h);
    let n = this.buckets.length;
    const first = jumpBucket(h[0]!, h[1]!, n);
    if (this.replication === 1) return this.single[first]!;
    const work = this.work;
    const picked = this.picked;
    work.set(this.buckets);
    let memoKey = 0;
    let count = 0;
    let j = first;
    for (;;) {
      picked[count++] = work[j]!;
      memoKey = memoKey * this.buckets.length + j;
      if (count === this.replication) break;
      xorshift64star(h);
      work[j] = work[--n]!;
      if (n === 0) break;
      j = jumpBucket(h[0]!, h[1]!, n);
    }
    // The bucket index chosen at each step determines the owners; build each combination once.
    if (this.memoizable) {
      const hit = this.memo.get(memoKey);
      if (hit !== undefined) return hit;
    }
    const owners = this.lists.get(Array.from(picked.subarray(0, count), (si) => this.members[si]!));
    if (this.memoizable) this.memo.set(memoKey, owners);
    return owners;
  }

  points(): readonly RingPoint[] {
    return Array.from(this.buckets, (si, bucket) => ({ position: bucket, member: this.members[si]! }));
  }
}
