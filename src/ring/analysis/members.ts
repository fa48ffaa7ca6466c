// Dense member indices and node identity across rings. Counting loops work on small integers; the
// strings (memberId, node labels) are computed once per member, never per metric.
import { memberId, type Destination } from '../types.js';

/**
 * How members of two rings are recognised as the same cache:
 * - member: server, port and instance all equal (memberId);
 * - node:   (server, instance), the port ignored — carbon's and graphite-web's node identity (the
 *           relay's 2004 and the webapp's 7002 reach the same cache);
 * - host:   server only (buckytools' view, or "which machine holds the file").
 */
export type MatchMode = 'member' | 'node' | 'host';
export const MATCH_MODES: readonly MatchMode[] = ['member', 'node', 'host'];

/** Text id of a member under a match mode (what two rings must agree on). */
export function identityKey(d: Destination, mode: MatchMode): string {
  if (mode === 'member') return memberId(d);
  if (mode === 'host') return d.server;
  // NUL cannot occur in a parsed host; null and '' instances must stay distinct (carbon `h:2004:`).
  return d.instance === null ? `${d.server}\u0000` : `${d.server}\u0000=${d.instance}`;
}

/** Human label of a node under a match mode: memberId, "server[:instance]" or "server". */
export function identityLabel(d: Destination, mode: MatchMode): string {
  if (mode === 'member') return memberId(d);
  const host = d.server.includes(':') ? `[${d.server}]` : d.server;
  if (mode === 'host' || d.instance === null) return host;
  return `${host}:${d.instance}`;
}

// Object identity is the fast path (rings normally hand back their own member objects); a ring that
// builds fresh objects per lookup must not grow the cache without bound.
const OBJECT_CACHE_LIMIT = 4096;

/** Members of one ring as dense indices 0..n-1, keyed by memberId. */
export class MemberTable {
  readonly members: Destination[] = [];
  readonly ids: string[] = [];
  private readonly byObject = new Map<Destination, number>();
  private readonly byId = new Map<string, number>();

  constructor(members: readonly Destination[] = []) {
    for (const m of members) this.indexOf(m);
  }

  get size(): number {
    return this.members.length;
  }

  /** Index of a member; an owner the ring did not list among its members is added (defensive). */
  indexOf(d: Destination): number {
    const hit = this.byObject.get(d);
    if (hit !== undefined) return hit;
    const id = memberId(d);
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.members.length;
      this.members.push(d);
      this.ids.push(id);
      this.byId.set(id, i);
    }
    if (this.byObject.size < OBJECT_CACHE_LIMIT) this.byObject.set(d, i);
    return i;
  }
}

export interface MatchChoice {
  mode: MatchMode;
  /** Why this mode, in words, for the report. */
  reason: string;
}

/**
 * Pick how to match members across two rings. auto = node (server, instance) — the identity carbon
 * and graphite-web hash on, so relay and webapp configs with different ports line up — unless a ring
 * has two members that differ only by port (c-relay servers without instances): then member ids.
 */
export function chooseMatch(a: readonly Destination[], b: readonly Destination[], requested: MatchMode | 'auto' = 'auto'): MatchChoice {
  if (requested !== 'auto') return { mode: requested, reason: `--match ${requested}` };
  const clash = portOnlyDuplicate(a) ?? portOnlyDuplicate(b);
  if (clash !== undefined) {
    return {
      mode: 'member',
      reason: `matched by server:port:instance because ${clash[0]} and ${clash[1]} differ only by port`,
    };
  }
  return { mode: 'node', reason: 'matched by (server, instance); ports ignored, as carbon and graphite-web do' };
}

function portOnlyDuplicate(members: readonly Destination[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const m of members) {
    const key = identityKey(m, 'node');
    const id = memberId(m);
    const prev = seen.get(key);
    if (prev !== undefined && prev !== id) return [prev, id];
    seen.set(key, id);
  }
  return undefined;
}
