// `ring hash`: what each implementation computes for a key — the text it hashes (after its own
// rewriting), the hash, and the ring position — and, for one ring, the replica keys of its members
// (carbon's after its +1 bumps). Operators compare these numbers with their own tools (a Python shell
// with carbon.hashing, carbon-c-relay -d, buckytools' findhash) when a placement surprises them.
import { carbonHashFunction } from './carbon-hash.js';
import { CARBON_REPLICAS, carbonReplicaKey } from './carbon-replicas.js';
import { CarbonConsistentRing } from './carbon-ring.js';
import { BUCKY_REPLICAS, BuckyConsistentRing, buckyReplicaKey } from './bucky-ring.js';
import { CrelaySanitizer } from './crelay-sanitize.js';
import { CRELAY_REPLICAS, CrelayConsistentRing, crelayKeyBytes, crelayReplicaKey } from './crelay-ring.js';
import { CarbonFastRing } from './fast-ring.js';
import { fnv1a32, fnv1a32OfBytes, fnv1a64BigInt, fold16 } from './hash/fnv1a.js';
import { jumpBucket } from './hash/jump.js';
import { md5Hex, md5HexOfBytes } from './hash/md5.js';
import { mmh3Hash } from './hash/mmh3.js';
import { pyNodeTuple } from './pyrepr.js';
import { isWellFormed, lowerBound } from './ring-support.js';
import { memberId as memberIdOf, type Destination, type HashType, type Impl, type Ring, type RingPoint } from './types.js';

/** One implementation's hash of one key. */
export interface KeyHash {
  impl: Impl;
  hash: HashType;
  /** The text hashed: the key itself, or c-relay's routing key after its name cleaning; null when dropped. */
  text: string | null;
  /** Ring position: 0..65535 (carbon_ch, fnv1a_ch) or signed 32-bit (mmh3_ch); null for jump (the bucket depends on the member count). */
  position: number | null;
  /** The hash the position comes from, in hex: the MD5 digest, 32-bit FNV-1a, mmh3 as unsigned, 64-bit FNV-1a. */
  digest: string | null;
  /** c-relay: why the relay does not route the key. */
  note?: string;
}

const hex32 = (h: number): string => (h >>> 0).toString(16).padStart(8, '0');

/** The position function of an implementation's hash type, and its digest. */
function hashKey(impl: Impl, hash: HashType, text: string): { position: number | null; digest: string } {
  const signed = impl === 'carbon-c-relay';
  switch (hash) {
    case 'carbon_ch': {
      const hexDigest = md5Hex(text);
      return { position: parseInt(hexDigest.slice(0, 4), 16), digest: hexDigest };
    }
    case 'fnv1a_ch': {
      const h = fnv1a32(text, signed);
      return { position: fold16(h), digest: hex32(h) };
    }
    case 'mmh3_ch': {
      const h = mmh3Hash(text);
      return { position: h, digest: hex32(h) };
    }
    case 'jump_fnv1a_ch':
      return { position: null, digest: fnv1a64BigInt(text, signed).toString(16).padStart(16, '0') };
  }
}

/** The hash types each implementation offers (graphite-web's mmh3_ch needs the mmh3 module). */
export const IMPL_HASHES: readonly (readonly [Impl, readonly HashType[]])[] = [
  ['carbon', ['carbon_ch', 'fnv1a_ch', 'mmh3_ch']],
  ['graphite-web', ['carbon_ch', 'fnv1a_ch', 'mmh3_ch']],
  ['carbon-c-relay', ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch']],
  ['bucky', ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch']],
];

/**
 * What every implementation computes for `key` used as a metric name: carbon, graphite-web and
 * buckytools hash the name as given; carbon-c-relay hashes its routing key after the daemon's name
 * cleaning (bytes as signed chars for FNV-1a).
 */
export function keyHashes(key: string): KeyHash[] {
  if (!isWellFormed(key)) throw new RangeError('the key contains a lone UTF-16 surrogate: it has no UTF-8 form');
  const crelay = new CrelaySanitizer().clean(key);
  const out: KeyHash[] = [];
  for (const [impl, hashes] of IMPL_HASHES) {
    for (const hash of hashes) {
      if (impl === 'carbon-c-relay' && crelay.dropped) {
        out.push({ impl, hash, text: null, position: null, digest: null, note: `dropped: ${crelay.reason ?? ''}` });
        continue;
      }
      const text = impl === 'carbon-c-relay' ? crelay.hashKey : key;
      out.push({ impl, hash, text, ...hashKey(impl, hash, text) });
    }
  }
  return out;
}

/** One key on one ring: what is hashed, where it lands, who owns it. */
export interface RingKeyHash {
  key: string;
  /** The name the relay forwards, when it rewrites it (c-relay cleaning, carbon tag normalisation). */
  routedAs?: string | undefined;
  text: string | null;
  position: number | null;
  digest: string | null;
  /** The ring point the lookup starts from: its index in ring order, position and member (jump: the first bucket). */
  entry?: { index: number; position: number; member: Destination } | undefined;
  owners: readonly Destination[];
  note?: string | undefined;
}

/** Looks keys up on one ring and says how (the ring's points are listed once). */
export class RingKeyHasher {
  private points: readonly RingPoint[] | undefined;
  private positions: Float64Array | undefined;

  constructor(private readonly ring: Ring) {}

  explain(key: string): RingKeyHash {
    const ring = this.ring;
    const p = ring.locate(key);
    const base = { key, ...(p.routedAs !== undefined ? { routedAs: p.routedAs } : {}), owners: p.owners };
    if (p.error !== undefined || p.dropped) {
      return { ...base, text: null, position: null, digest: null, note: p.error ?? `dropped: ${p.reason ?? ''}` };
    }
    const text = p.hashKey ?? p.routedAs ?? key;
    const { impl, hash } = ring.spec;
    const h = hashKey(impl === 'graphite-web' ? 'carbon' : impl, hash, text);
    return { ...base, text, ...h, entry: this.entryFor(text, h.position, h.digest) };
  }

  private entryFor(text: string, position: number | null, digest: string): RingKeyHash['entry'] {
    const ring = this.ring;
    if (ring.points === undefined) return undefined;
    this.points ??= ring.points();
    const pts = this.points;
    if (pts.length === 0) return undefined;
    let index: number;
    if (ring.spec.hash === 'jump_fnv1a_ch') {
      const h = BigInt(`0x${digest}`);
      index = jumpBucket(Number(h >> 32n), Number(h & 0xffffffffn), pts.length);
    } else if (ring instanceof CarbonFastRing) {
      const n = pts.length;
      index = (((carbonHashFunction(ring.spec.hash as 'carbon_ch' | 'fnv1a_ch' | 'mmh3_ch')(text) % n) + n) % n) | 0;
    } else {
      this.positions ??= Float64Array.from(pts, (q) => q.position);
      index = lowerBound(this.positions, position!);
      if (index === pts.length) index = 0;
    }
    const pt = pts[index]!;
    return { index, position: pt.position, member: pt.member };
  }
}

/** One replica key of a ring member. */
export interface ReplicaKey {
  member: Destination;
  /** Replica index (0..99); null for carbon's fast-hashing ring, which has one key per node. */
  replica: number | null;
  key: string;
  /** The key's hash (its position before any collision handling). */
  hash: number;
  /** Where the entry sits in the ring: carbon moves a taken position +1 until free. */
  position: number;
}

/**
 * The replica keys of a ring's members in the order the implementation adds them, or undefined for
 * rings without replica keys (jump hash: members are buckets, see `ring show --positions`).
 */
export function replicaKeys(ring: Ring): Iterable<ReplicaKey> | undefined {
  if (ring instanceof CarbonConsistentRing) return carbonReplicaKeys(ring);
  if (ring instanceof CrelayConsistentRing) return crelayReplicaKeys(ring);
  if (ring instanceof BuckyConsistentRing) return buckyReplicaKeys(ring);
  if (ring instanceof CarbonFastRing) {
    return ring.points().map((p) => ({
      member: p.member,
      replica: null,
      key: pyNodeTuple(p.member.server, p.member.instance),
      hash: p.position,
      position: p.position,
    }));
  }
  return undefined;
}

function* carbonReplicaKeys(ring: CarbonConsistentRing): Generator<ReplicaKey> {
  const { hashes, positions } = ring.replicas;
  for (let a = 0; a < ring.adds.length; a++) {
    const member = ring.members[ring.adds[a]!]!;
    for (let i = 0; i < CARBON_REPLICAS; i++) {
      const k = a * CARBON_REPLICAS + i;
      yield { member, replica: i, key: carbonReplicaKey(ring.hash, member, i), hash: hashes[k]!, position: positions[k]! };
    }
  }
}

function* crelayReplicaKeys(ring: CrelayConsistentRing): Generator<ReplicaKey> {
  for (const si of ring.memberServers) {
    const member = ring.members[si]!;
    for (let i = 0; i < CRELAY_REPLICAS; i++) {
      const key = crelayReplicaKey(ring.hash, member, i);
      const b = crelayKeyBytes(key);
      const hash = ring.hash === 'carbon_ch' ? parseInt(md5HexOfBytes(b).slice(0, 4), 16) : fold16(fnv1a32OfBytes(b, b.length, true));
      yield { member, replica: i, key, hash, position: hash };
    }
  }
}

function* buckyReplicaKeys(ring: BuckyConsistentRing): Generator<ReplicaKey> {
  const fn = carbonHashFunction(ring.hash);
  for (const n of ring.adds) {
    const member = ring.members[n]!;
    for (let i = 0; i < BUCKY_REPLICAS; i++) {
      const key = buckyReplicaKey(ring.hash, member, i);
      const hash = fn(key);
      yield { member, replica: i, key, hash, position: hash };
    }
  }
}

// ---- rows for `ring hash` (text cells and NDJSON objects; the command aligns and prints them) ----

/** Text cells of keyHashes rows: key, impl, hash, position, digest, note. */
export function keyHashCells(key: string, h: KeyHash): string[] {
  const note = h.note ?? (h.text !== null && h.text !== key ? `hashed as ${JSON.stringify(h.text)}` : '');
  return [key, h.impl, h.hash, h.position === null ? '-' : String(h.position), h.digest ?? '-', note];
}

export function keyHashJson(key: string, h: KeyHash): Record<string, unknown> {
  return {
    key,
    impl: h.impl,
    hash: h.hash,
    text: h.text,
    position: h.position,
    digest: h.digest,
    ...(h.note !== undefined ? { note: h.note } : {}),
  };
}

/** Text cells of a key on a ring: key, position, entry, owners, notes. */
export function ringKeyCells(r: RingKeyHash): string[] {
  const notes: string[] = [];
  if (r.routedAs !== undefined) notes.push(`routed as ${JSON.stringify(r.routedAs)}`);
  if (r.text !== null && r.text !== (r.routedAs ?? r.key)) notes.push(`hashed as ${JSON.stringify(r.text)}`);
  if (r.note !== undefined) notes.push(r.note);
  const entry = r.entry === undefined ? '-' : `entry ${r.entry.index} at ${r.entry.position}`;
  const owners = r.owners.length === 0 ? '-' : r.owners.map(memberIdOf).join(',');
  return [
    r.key,
    r.position === null ? `${r.digest ?? '-'}` : String(r.position),
    entry,
    owners,
    notes.length > 0 ? `(${notes.join(', ')})` : '',
  ];
}

export function ringKeyJson(r: RingKeyHash): Record<string, unknown> {
  const out: Record<string, unknown> = { key: r.key };
  if (r.routedAs !== undefined) out.routedAs = r.routedAs;
  out.text = r.text;
  out.position = r.position;
  out.digest = r.digest;
  if (r.entry !== undefined) out.entry = { index: r.entry.index, position: r.entry.position, member: memberIdOf(r.entry.member) };
  out.owners = r.owners.map(memberIdOf);
  if (r.note !== undefined) out.note = r.note;
  return out;
}

/** Text cells of a replica key: member, replica, position, hash (when a bump moved it), key. */
export function replicaKeyCells(r: ReplicaKey): string[] {
  const moved = r.position !== r.hash ? `hash ${r.hash}, +${r.position - r.hash}` : '';
  return [memberIdOf(r.member), r.replica === null ? '-' : String(r.replica), String(r.position), moved, r.key];
}

export function replicaKeyJson(r: ReplicaKey): Record<string, unknown> {
  return { member: memberIdOf(r.member), replica: r.replica, key: r.key, hash: r.hash, position: r.position };
}
