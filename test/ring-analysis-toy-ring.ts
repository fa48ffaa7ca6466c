// Tiny hand-made rings for testing the analysis code independently of the real ring models: the
// keyspace is split into arcs whose owners are known by construction, so expected shares are exact.
import type { Destination, Placement, PositionFn, Ring, RingSpec } from '../src/ring/types.js';
import { makeRingSpec } from '../src/ring/spec.js';

export function dest(server: string, port: number, instance: string | null = null): Destination {
  return { server, port, instance };
}

export interface ToyArc {
  /** First position of the arc (arcs are given in increasing order, the first starts at 0). */
  start: number;
  /** Owners of every position in the arc, primary first. */
  owners: Destination[];
}

/** Toy hash of a routing key onto 0..65535 (sum of char codes × 2654435761, top 16 bits). */
export function toyPosition(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h ^ key.charCodeAt(i), 2654435761) + 0x9e3779b9) >>> 0;
  return h >>> 16;
}

export interface ToyOptions {
  fn?: PositionFn;
  /** Omit the positionSpace (forces sampling). */
  noPositions?: boolean;
  /** Names the toy "relay" drops. */
  drops?: (name: string) => boolean;
  spec?: Partial<RingSpec>;
}

export function toyRing(members: Destination[], arcs: ToyArc[], opts: ToyOptions = {}): Ring {
  const ownersAt = (p: number): readonly Destination[] => {
    let lo = 0;
    for (let i = 0; i < arcs.length; i++) if (arcs[i]!.start <= p) lo = i;
    return arcs[lo]!.owners;
  };
  const ownersOfKey = (key: string): readonly Destination[] => ownersAt(toyPosition(key));
  const spec = makeRingSpec({ destinations: members, ...opts.spec });
  const ring: Ring = {
    spec,
    members,
    ownersOfKey,
    locate(metric: string): Placement {
      if (opts.drops?.(metric)) return { metric, owners: [], dropped: true, reason: 'toy drop' };
      return { metric, owners: ownersOfKey(metric) };
    },
    ...(opts.noPositions ? {} : { positionSpace: { fn: opts.fn ?? 'md5-16', size: 65536, ownersAt } }),
  };
  return ring;
}
