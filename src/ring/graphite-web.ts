// graphite-web's CarbonLink ring (ring-spec §3): carbon's ConsistentHashRing built from
// CARBONLINK_HOSTS in list order without de-duplication (a repeated host is added twice), always
// diverse by host, REPLICATION_FACTOR candidates. The port of a (server, instance) pair is the last one
// listed (a dict built from the list). The owners are the candidate list select_host() picks from at
// random, so compare lists, not single hosts.
import { CarbonConsistentRing } from './carbon-ring.js';
import { freezeDestination, ringConfigError } from './ring-support.js';
import type { Destination, Ring, RingSpec } from './types.js';

export function buildGraphiteWebRing(spec: RingSpec): Ring {
  if (spec.hash === 'jump_fnv1a_ch') {
    throw ringConfigError(spec, 'graphite-web has no jump_fnv1a_ch hashing', 'CARBONLINK_HASHING_TYPE carbon_ch, fnv1a_ch or mmh3_ch');
  }
  const servers = new Set(spec.destinations.map((d) => d.server));
  if (servers.size < spec.replication) {
    throw ringConfigError(
      spec,
      `REPLICATION_FACTOR=${spec.replication} cannot exceed servers=${servers.size}`,
      `REPLICATION_FACTOR <= ${servers.size} (distinct CARBONLINK_HOSTS hosts)`,
      spec.destinations[0],
    );
  }
  const index = new Map<string, number>();
  const last: Destination[] = [];
  const adds: number[] = [];
  for (const d of spec.destinations) {
    const key = JSON.stringify([d.server, d.instance]);
    let n = index.get(key);
    if (n === undefined) {
      n = last.length;
      index.set(key, n);
    }
    last[n] = d; // later entries set the port
    adds.push(n);
  }
  return new CarbonConsistentRing({
    spec,
    hash: spec.hash,
    nodes: last.map(freezeDestination),
    adds,
    replication: spec.replication,
    diverse: true,
    normalizeTags: false,
  });
}
