// What apply knows about every action of the plan, kept in typed arrays indexed by action id (a plan
// of millions of actions costs tens of MB, not a heap of objects): op, the locations involved, the
// planned bytes, and what the journals say (verified copy/fill with the source stamp it read and the
// destination file it left, source deleted).
//
// Destination evidence: a verified copy or fill records which file received the data (device, inode,
// size, mtime and ctime in ns: FileIdentity), kept here as a 48-bit hash. A fill also records the
// state it started from, so "state A became state B by a fill (which only adds points)" is a
// transition; a delete accepts an owner file only when its identity right now is reachable from the
// evidence of a transfer of this very source through such transitions. A file replaced or rewritten
// behind our back breaks the chain, and the delete fills the owner again instead of trusting it.
import { createHash } from 'node:crypto';
import type { PlanAction } from '../plan/plan-file.js';
import type { FileIdentity } from '../storage/driver.js';
import type { JournalRecord, SourceStamp } from './journal.js';

export const OP = { none: 0, copy: 1, fill: 2, delete: 3 } as const;
export const ST = { pending: 0, verified: 1, deleted: 2 } as const;

const OP_CODE = { copy: OP.copy, fill: OP.fill, delete: OP.delete } as const;

/** A 48-bit digest of a file identity (exact in a float64; collisions are out of reach). */
export function evidenceHash(id: FileIdentity): number {
  const h = createHash('sha256').update(`${id.dev}:${id.ino}:${id.size}:${id.mtime}:${id.ctime}`).digest();
  return h.readUIntBE(0, 6);
}

interface Refill {
  stamp: SourceStamp;
  evidence: number;
}

export class ActionTable {
  private cap = 0;
  op = new Uint8Array(0);
  /** Location index of the journal that records it: copy/fill → to, delete → at. */
  node = new Uint16Array(0);
  /** copy/fill: location index of the source. */
  from = new Uint16Array(0);
  /** Planned source bytes. */
  bytes = new Float64Array(0);
  state = new Uint8Array(0);
  racy = new Uint8Array(0);
  stampSize = new Float64Array(0);
  stampMtime = new Float64Array(0);
  /** copy/fill: evidenceHash of the destination file the newest verified run left (NaN: none recorded). */
  evidence = new Float64Array(0);
  /** copy/fill: the source path (the plan's `path`), and `toPath` where the destination differs. */
  private srcPaths: string[] = [];
  private readonly toPaths = new Map<number, string>();
  /** Refills a delete did, per owner file ("loc\0path"): the source stamp each read and the file it left. */
  private readonly refills = new Map<number, Map<string, Refill>>();
  /** Fills (planned or refills): evidence before → evidence after. */
  private readonly transitions = new Map<number, number>();

  constructor(readonly locations: readonly string[]) {}

  private grow(id: number): void {
    if (id < this.cap) return;
    const cap = Math.max(id + 1, this.cap * 2, 1024);
    const g = <T extends Uint8Array | Uint16Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.op = g(this.op, (n) => new Uint8Array(n));
    this.node = g(this.node, (n) => new Uint16Array(n));
    this.from = g(this.from, (n) => new Uint16Array(n));
    this.bytes = g(this.bytes, (n) => new Float64Array(n));
    this.state = g(this.state, (n) => new Uint8Array(n));
    this.racy = g(this.racy, (n) => new Uint8Array(n));
    this.stampSize = g(this.stampSize, (n) => new Float64Array(n));
    this.stampMtime = g(this.stampMtime, (n) => new Float64Array(n)).fill(-Infinity, this.cap);
    this.evidence = g(this.evidence, (n) => new Float64Array(n)).fill(NaN, this.cap);
    this.cap = cap;
  }

  locIndex(id: string): number {
    const i = this.locations.indexOf(id);
    if (i < 0) throw new Error(`unknown location ${id}`);
    return i;
  }

  add(a: PlanAction): void {
    this.grow(a.id);
    this.op[a.id] = OP_CODE[a.op];
    if (a.op === 'delete') {
      this.node[a.id] = this.locIndex(a.at);
    } else {
      this.node[a.id] = this.locIndex(a.to);
      this.from[a.id] = this.locIndex(a.from);
      this.srcPaths[a.id] = a.path;
      if (a.toPath !== undefined) this.toPaths.set(a.id, a.toPath);
    }
    this.bytes[a.id] = a.source.size;
  }

  has(id: number): boolean {
    return id < this.cap && this.op[id] !== OP.none;
  }

  /**
   * Record a verified copy/fill of `id` that read its source at `src` and left the destination file
   * `after` (started from `before`, for fills); the newest stamp is kept.
   */
  verified(id: number, src: SourceStamp, after?: FileIdentity | null, before?: FileIdentity | null): void {
    if (!this.has(id) || this.op[id] === OP.delete) return;
    this.state[id] = ST.verified;
    if (before != null && after != null) this.transition(before, after);
    // Sources only gain points, so the newest state copied is the one a delete can match.
    if (src.mtimeMs > this.stampMtime[id]! || (src.mtimeMs === this.stampMtime[id]! && !src.racy)) {
      this.stampMtime[id] = src.mtimeMs;
      this.stampSize[id] = src.size;
      this.racy[id] = src.racy ? 1 : 0;
      this.evidence[id] = after == null ? NaN : evidenceHash(after);
    }
  }

  /** A fill turned the file `before` into `after` (it only added points). */
  transition(before: FileIdentity, after: FileIdentity): void {
    const b = evidenceHash(before);
    const a = evidenceHash(after);
    if (a !== b) this.transitions.set(b, a);
  }

  /** Is the file state `now` reachable from `start` through recorded fills? */
  reaches(start: number, now: number): boolean {
    let cur = start;
    for (let i = 0; i < 100_000; i++) {
      if (cur === now) return true;
      const next = this.transitions.get(cur);
      if (next === undefined) return false;
      cur = next;
    }
    return false;
  }

  srcPath(id: number): string {
    return this.srcPaths[id]!;
  }

  dstPath(id: number): string {
    return this.toPaths.get(id) ?? this.srcPaths[id]!;
  }

  /** A delete's refill into an owner file, with the source stamp it read and the file it left (newest kept). */
  refilled(
    deleteId: number,
    owner: string,
    path: string,
    src: SourceStamp,
    after?: FileIdentity | null,
    before?: FileIdentity | null,
  ): void {
    if (before != null && after != null) this.transition(before, after);
    let m = this.refills.get(deleteId);
    if (m === undefined) this.refills.set(deleteId, (m = new Map()));
    const k = `${owner}\0${path}`;
    const old = m.get(k);
    if (old === undefined || src.mtimeMs > old.stamp.mtimeMs || (src.mtimeMs === old.stamp.mtimeMs && !src.racy))
      m.set(k, { stamp: src, evidence: after == null ? NaN : evidenceHash(after) });
  }

  refillStamp(deleteId: number, owner: string, path: string): SourceStamp | undefined {
    return this.refills.get(deleteId)?.get(`${owner}\0${path}`)?.stamp;
  }

  refillEvidence(deleteId: number, owner: string, path: string): number {
    return this.refills.get(deleteId)?.get(`${owner}\0${path}`)?.evidence ?? NaN;
  }

  opName(id: number): 'copy' | 'fill' {
    return this.op[id] === OP.copy ? 'copy' : 'fill';
  }

  stamp(id: number): SourceStamp | null {
    if (this.state[id] !== ST.verified) return null;
    return { size: this.stampSize[id]!, mtimeMs: this.stampMtime[id]!, racy: this.racy[id] === 1 };
  }

  /** Apply a journal's records. */
  replay(records: readonly JournalRecord[]): void {
    for (const r of records) {
      if (r.t === 'done') this.verified(r.id, r.src, r.dst, r.dstBefore);
      else if (r.t === 'refill') this.refilled(r.id, r.to, r.path, r.src, r.dst, r.dstBefore);
      else if (r.t === 'deleted' && this.has(r.id) && this.op[r.id] === OP.delete) this.state[r.id] = ST.deleted;
    }
  }

  isDone(id: number): boolean {
    return this.op[id] === OP.delete ? this.state[id] === ST.deleted : this.state[id] === ST.verified;
  }
}
