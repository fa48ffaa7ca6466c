// What classification needs to know about a cluster: its locations, the current ring (and an old one),
// which location each ring member writes, how the relay turns a name into a hash key, and each
// location's share of the keyspace (to say how likely a chance match is).
import type { Destination, Placement, Ring } from '../ring/types.js';
import { memberId } from '../ring/types.js';
import { sampleKey } from '../ring/analysis/sample.js';
import type { StorageLocation } from '../storage/locations.js';
import { storageKeysFor } from '../storage/locations.js';
import { metricToPath } from '../storage/paths.js';
import type { RawNameIndex } from './variants.js';
import { selfMetricMatcher } from './variants.js';

/** Owners of a name as location indexes (deduplicated, ring order) plus members without storage. */
export interface OwnerLocations {
  locs: number[];
  /** memberId()s of owners that have no storage location. */
  unmapped: string[];
}

export interface AuditOptions {
  /** Prefixes of the caches' own metrics (default ['carbon']). */
  selfPrefixes?: readonly string[];
  names?: RawNameIndex;
  /** The names list is a sample of the traffic: a raw name missing from it rules nothing out. */
  namesSample?: boolean;
}

/** A ring bound to the cluster's locations. */
export class PlacedRing {
  private readonly cache = new WeakMap<readonly Destination[], OwnerLocations>();
  private readonly byMember = new Map<string, number>();

  constructor(
    readonly ring: Ring,
    locations: readonly StorageLocation[],
    /** Match members to locations by storage key (a ring other than the cluster file's own). */
    byStorageKey: boolean,
  ) {
    for (const d of ring.members) {
      const id = memberId(d);
      const i = byStorageKey
        ? locations.findIndex((loc) => storageKeysFor(d).some((k) => loc.keys.some((sk) => sk.key === k)))
        : locations.findIndex((loc) => loc.members.some((m) => memberId(m) === id));
      if (i >= 0) this.byMember.set(id, i);
    }
  }

  /** Owner locations of an owner list (cached per list: rings hand out shared arrays). */
  ownerLocations(owners: readonly Destination[]): OwnerLocations {
    let r = this.cache.get(owners);
    if (r !== undefined) return r;
    r = { locs: [], unmapped: [] };
    for (const d of owners) {
      const id = memberId(d);
      const i = this.byMember.get(id);
      if (i === undefined) {
        if (!r.unmapped.includes(id)) r.unmapped.push(id);
      } else if (!r.locs.includes(i)) {
        r.locs.push(i);
      }
    }
    this.cache.set(owners, r);
    return r;
  }

  locate(metric: string): { placement: Placement; owners: OwnerLocations } {
    const placement = this.ring.locate(metric);
    return { placement, owners: this.ownerLocations(placement.owners) };
  }
}

/**
 * Does the relay in front of this ring hash names as received? carbon-relay.py (impl carbon, and the
 * graphite-web ring that mirrors it) and buckytools do; carbon-c-relay cleans names first unless it is
 * modelled with raw keys (sanitize off, its -t mode).
 */
export function hashesRawNames(ring: Ring): boolean {
  const s = ring.spec;
  return s.impl === 'carbon' || s.impl === 'graphite-web' || s.impl === 'bucky' || (s.impl === 'carbon-c-relay' && !s.sanitize);
}

/** carbon-c-relay with its daemon's name cleansing: it never writes a name it would rewrite. */
export function cleansesNames(ring: Ring): boolean {
  return ring.spec.impl === 'carbon-c-relay' && ring.spec.sanitize;
}

const SHARE_SAMPLE = 1 << 15;

/**
 * Each location's share of the keyspace as any owner: exact over the 16-bit positions where the ring
 * has them, else estimated over a fixed sample of keys.
 */
export function locationShares(ring: PlacedRing, count: number): number[] {
  const hits = new Array<number>(count).fill(0);
  const space = ring.ring.positionSpace;
  let total = 0;
  const add = (owners: readonly Destination[]): void => {
    total++;
    for (const i of ring.ownerLocations(owners).locs) hits[i]!++;
  };
  if (space !== undefined) for (let p = 0; p < space.size; p++) add(space.ownersAt(p));
  else for (let i = 0; i < SHARE_SAMPLE; i++) add(ring.ring.ownersOfKey(sampleKey(i)));
  return hits.map((h) => (total === 0 ? 0 : h / total));
}

export class AuditContext {
  readonly current: PlacedRing;
  readonly old: PlacedRing | undefined;
  readonly rawHashing: boolean;
  readonly cleansing: boolean;
  readonly isSelfMetric: (name: string) => boolean;
  readonly names: RawNameIndex | undefined;
  readonly namesSample: boolean;
  private shares: number[] | undefined;

  constructor(
    readonly locations: readonly StorageLocation[],
    ring: Ring,
    oldRing: Ring | undefined,
    opts: AuditOptions = {},
  ) {
    this.current = new PlacedRing(ring, locations, false);
    this.old = oldRing === undefined ? undefined : new PlacedRing(oldRing, locations, true);
    this.rawHashing = hashesRawNames(ring);
    this.cleansing = cleansesNames(ring);
    this.isSelfMetric = selfMetricMatcher(opts.selfPrefixes ?? ['carbon']);
    this.names = opts.names;
    this.namesSample = opts.namesSample ?? false;
  }

  /** Any-owner share of the keyspace of location `i` (computed once, on first use). */
  share(i: number): number {
    this.shares ??= locationShares(this.current, this.locations.length);
    return this.shares[i]!;
  }

  /**
   * The path a file's data belongs at under the current ring: its own path, except under carbon-c-relay
   * cleansing, where a name the relay rewrites now arrives as its cleansed twin.
   */
  targetPath(path: string, metric: string | null, kind: string): string {
    if (!this.cleansing || metric === null || (kind !== 'metric' && kind !== 'tagged')) return path;
    const p = this.current.ring.locate(metric);
    if (p.dropped === true || p.routedAs === undefined || p.routedAs === metric) return path;
    try {
      return metricToPath(p.routedAs);
    } catch {
      return path;
    }
  }

  locationId(i: number): string {
    return this.locations[i]!.id;
  }
}
