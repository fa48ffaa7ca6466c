// Reading the ring vectors (test/vectors/ring, computed by the upstream implementations) into RingSpecs,
// the way the vectors' README describes the clusters.
import { parseBuckyMember, parseCarbonDestination, parseCrelayMember } from '../../src/ring/destination.js';
import { makeRingSpec } from '../../src/ring/spec.js';
import type { Destination, HashType, Impl, RingSpec, RouterType } from '../../src/ring/types.js';
import { vectorJson, vectorLines } from './test-vectors.js';

export interface VectorCluster {
  id: string;
  impl: 'carbon' | 'graphite-web' | 'crelay' | 'bucky';
  hash: HashType | 'fast-hashing';
  router?: RouterType;
  destinations: string[];
  destinations_crelay: string[];
  replication: number;
  diverse: boolean;
  sanitize?: boolean;
  tag_relay_normalized?: boolean;
}

export interface VectorLine {
  cluster: string;
  metric: string;
  owners: [string, number, string | null][] | null;
  routed_as?: string;
  hash_key?: string;
  dropped?: boolean;
  reason?: string | undefined;
  error?: string;
}

export function loadClusters(): VectorCluster[] {
  return vectorJson<{ clusters: VectorCluster[] }>('ring/clusters.json').clusters;
}

export function loadVectorLines(): VectorLine[] {
  return vectorLines<VectorLine>('ring/vectors.jsonl');
}

export function loadMetrics(): string[] {
  return vectorJson<{ metrics: string[] }>('ring/metrics.json').metrics;
}

export type RingDump = Record<string, [number, string, number | null, string | null][]>;
export function loadRingDumps(): RingDump {
  return vectorJson<RingDump>('ring/rings.json');
}

/** The cluster as a RingSpec: crelay → carbon-c-relay, fast-hashing → router + mmh3_ch. */
export function clusterSpec(c: VectorCluster): RingSpec {
  const impl: Impl = c.impl === 'crelay' ? 'carbon-c-relay' : c.impl;
  let hash: HashType;
  let router: RouterType = c.router ?? 'consistent-hashing';
  if (c.hash === 'fast-hashing') {
    router = 'fast-hashing';
    hash = 'mmh3_ch';
  } else {
    hash = c.hash;
  }
  // c-relay and buckytools members in their own syntax (c-relay re-prints numeric instances).
  let destinations: Destination[];
  if (impl === 'carbon-c-relay') destinations = c.destinations_crelay.map((d, i) => parseCrelayMember(d, { line: i + 1 }));
  else if (impl === 'bucky') destinations = c.destinations_crelay.map((d, i) => parseBuckyMember(d, { line: i + 1 }));
  else destinations = c.destinations.map((d, i) => parseCarbonDestination(d, { line: i + 1 }));
  return makeRingSpec({
    impl,
    hash,
    router,
    destinations,
    replication: c.replication,
    diverse: c.diverse,
    sanitize: c.sanitize ?? true,
    tagRelayNormalized: c.tag_relay_normalized ?? false,
    origin: { file: 'clusters.json', cluster: c.id },
  });
}
