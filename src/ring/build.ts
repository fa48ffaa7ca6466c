// buildRing: the ring an implementation would build from a RingSpec, or the ConfigError it would
// raise (file and line from the spec, what was expected).
import { BuckyConsistentRing, BuckyJumpRing } from './bucky-ring.js';
import { CarbonConsistentRing } from './carbon-ring.js';
import { CrelayConsistentRing, CrelayJumpRing } from './crelay-ring.js';
import { CarbonFastRing } from './fast-ring.js';
import { buildGraphiteWebRing } from './graphite-web.js';
import { freezeDestination, ringConfigError } from './ring-support.js';
import { withRouting } from './rule-routers.js';
import type { Destination, Ring, RingSpec } from './types.js';

/** carbon-c-relay limits (conffile.y / router.h). */
export const CRELAY_MAX_REPLICATION = 255;
export const CRELAY_MAX_MEMBERS = 128;

/** Build the ring an implementation would build from `spec`; throws ConfigError for configurations it refuses. */
export function buildRing(spec: RingSpec): Ring {
  if (spec.destinations.length === 0) {
    throw ringConfigError(spec, 'no destinations: the ring has no members', 'at least one destination');
  }
  if (!Number.isInteger(spec.replication) || spec.replication < 1) {
    throw ringConfigError(spec, `replication factor ${spec.replication} is not a positive integer`, 'replication >= 1');
  }
  switch (spec.impl) {
    case 'carbon':
      // A rules relay has no ring (RelayRulesRing); an aggregated relay hashes aggregates on the ring.
      if (spec.routing !== undefined) return withRouting(spec, () => buildCarbonRing(spec), spec.destinations);
      return buildCarbonRing(spec);
    case 'graphite-web':
      return buildGraphiteWebRing(spec);
    case 'carbon-c-relay':
      return buildCrelayRing(spec);
    case 'bucky':
      return buildBuckyRing(spec);
  }
}

/** carbon-relay: DESTINATIONS in order; exact repeats skipped, (server, instance) on two ports refused. */
function buildCarbonRing(spec: RingSpec): Ring {
  if (spec.hash === 'jump_fnv1a_ch') {
    throw ringConfigError(spec, 'carbon has no jump_fnv1a_ch hashing', 'ROUTER_HASH_TYPE carbon_ch, fnv1a_ch or mmh3_ch');
  }
  const seen = new Map<string, Destination>();
  const nodes: Destination[] = [];
  for (const d of spec.destinations) {
    const key = JSON.stringify([d.server, d.instance]);
    const prev = seen.get(key);
    if (prev !== undefined) {
      if (prev.port === d.port) continue; // the same destination twice: the relay starts one client
      throw ringConfigError(
        spec,
        `destination instance (${d.server}, ${d.instance ?? 'None'}) already configured` +
          ` (port ${prev.port}${prev.line === undefined ? '' : ` on line ${prev.line}`}, now port ${d.port})`,
        'each (host, instance) once; two caches on one host need different instances',
        d,
      );
    }
    const node = freezeDestination(d);
    seen.set(key, node);
    nodes.push(node);
  }
  const common = {
    spec,
    hash: spec.hash,
    nodes,
    replication: spec.replication,
    diverse: spec.diverse,
    normalizeTags: spec.tagRelayNormalized,
  };
  if (spec.router === 'fast-hashing') return new CarbonFastRing(common);
  return new CarbonConsistentRing({ ...common, adds: nodes.map((_, i) => i) });
}

/** carbon-c-relay cluster: servers are address:port (one instance each); limits as in the relay. */
function buildCrelayRing(spec: RingSpec): Ring {
  if (spec.hash === 'mmh3_ch') {
    throw ringConfigError(spec, 'carbon-c-relay has no mmh3_ch hashing', 'carbon_ch, fnv1a_ch or jump_fnv1a_ch');
  }
  const members = spec.destinations;
  if (members.length > CRELAY_MAX_MEMBERS) {
    throw ringConfigError(
      spec,
      `cluster has ${members.length} members, carbon-c-relay allows at most ${CRELAY_MAX_MEMBERS}`,
      `<= ${CRELAY_MAX_MEMBERS} members`,
      members[CRELAY_MAX_MEMBERS],
    );
  }
  if (spec.replication > CRELAY_MAX_REPLICATION) {
    throw ringConfigError(spec, `replication ${spec.replication} is out of range`, `replication 1..${CRELAY_MAX_REPLICATION}`);
  }
  if (spec.replication > members.length) {
    throw ringConfigError(
      spec,
      `replication ${spec.replication} is larger than the number of members (${members.length})`,
      `replication <= ${members.length}`,
    );
  }
  const byAddress = new Map<string, number>();
  const servers: Destination[] = [];
  const memberServers: number[] = [];
  for (const d of members) {
    const key = JSON.stringify([d.server, d.port]);
    const si = byAddress.get(key);
    if (si === undefined) {
      byAddress.set(key, servers.length);
      memberServers.push(servers.length);
      servers.push(freezeDestination(d));
      continue;
    }
    const first = servers[si]!;
    if (first.instance !== d.instance) {
      throw ringConfigError(
        spec,
        `server ${d.server.includes(':') ? `[${d.server}]` : d.server}:${d.port} is already a member with ` +
          `${first.instance === null ? 'no instance' : `instance ${first.instance}`}` +
          `${first.line === undefined ? '' : ` (line ${first.line})`}; carbon-c-relay cannot set ` +
          `${d.instance === null ? 'no instance' : `instance ${d.instance}`} on it`,
        'one instance per address:port',
        d,
      );
    }
    memberServers.push(si);
  }
  const input = { spec, servers, memberServers, replication: spec.replication, sanitize: spec.sanitize };
  if (spec.hash === 'jump_fnv1a_ch') return new CrelayJumpRing(input);
  return new CrelayConsistentRing(input, spec.hash);
}

/** buckytools: one owner per metric (replication > 1 unsupported: its jump GetNodes panics). */
function buildBuckyRing(spec: RingSpec): Ring {
  if (spec.hash === 'mmh3_ch') {
    throw ringConfigError(spec, 'buckytools has no mmh3_ch hashing', '-hash carbon, fnv1a or jump_fnv1a');
  }
  if (spec.replication > 1) {
    throw ringConfigError(
      spec,
      `buckytools supports one owner per metric; replication ${spec.replication} is unsupported (its jump ring panics)`,
      'replication 1',
    );
  }
  const index = new Map<string, number>();
  const nodes: Destination[] = [];
  const adds: number[] = [];
  for (const d of spec.destinations) {
    const key = JSON.stringify([d.server, d.port, d.instance ?? '']);
    let n = index.get(key);
    if (n === undefined) {
      n = nodes.length;
      index.set(key, n);
      nodes.push(freezeDestination(d));
    }
    adds.push(n);
  }
  const input = { spec, nodes, adds };
  if (spec.hash === 'jump_fnv1a_ch') return new BuckyJumpRing(input);
  return new BuckyConsistentRing(input, spec.hash);
}
