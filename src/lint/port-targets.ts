// Which process a ring member reaches: the carbon-cache instance (or go-carbon, or per-host relay) on the
// member's host whose receiver listens on the member's port. R8 checks these; R1's fixes use them to
// suggest CARBONLINK_HOSTS entries with the right cache query ports.
import { dirname } from 'node:path';
import type { LintContext } from './context.js';
import type { CarbonProcess, Destination, GoCarbon, HeldRing, PortSetting } from './model.js';
import { isLoopback, mappedServer, type Topology } from './topology-model.js';

export type Protocol = 'pickle' | 'line' | 'udp' | 'protobuf';

export interface HostTargets {
  host: string | undefined;
  caches: CarbonProcess[];
  relays: CarbonProcess[];
  goCarbons: GoCarbon[];
}

/** The host a member is on (loopback: the ring holder's host), or undefined. */
export function memberHost(d: Destination, r: HeldRing): string | undefined {
  const s = mappedServer(d.server, r.host);
  return isLoopback(s) ? undefined : s;
}

/**
 * Processes on `host`. With the host unknown (a loopback member of a relay whose host is unknown), the
 * processes configured in the same directory as the ring's file stand in: one host's configs live together.
 */
export function targetsOn(ctx: LintContext, topo: Topology, host: string | undefined, ringFile: string): HostTargets {
  const here = (file: string, h: string | undefined) =>
    host !== undefined ? h === host : h === undefined && dirname(file) === dirname(ringFile);
  return {
    host,
    caches: topo.caches.filter((p) => here(p.file, p.host)),
    relays: ctx.processes.filter((p) => p.program === 'relay' && here(p.file, p.host)),
    goCarbons: ctx.goCarbons.filter((g) => here(g.file, g.host)),
  };
}

export function receiver(p: CarbonProcess, protocol: Protocol): PortSetting | undefined {
  if (protocol === 'pickle') return p.pickle;
  if (protocol === 'line') return p.line;
  if (protocol === 'udp') return p.udp.enabled ? p.udp : undefined;
  return undefined;
}

export function goReceiver(g: GoCarbon, protocol: Protocol): PortSetting | undefined {
  return protocol === 'pickle' ? g.pickle : protocol === 'line' ? g.tcp : undefined;
}

/** The cache instance a member writes to: the one whose receiver for `protocol` is the member's port. */
export function cacheFor(t: HostTargets, port: number, protocol: Protocol): CarbonProcess | undefined {
  return t.caches.find((p) => receiver(p, protocol)?.value === port);
}

export function ringProtocol(r: HeldRing): Protocol {
  return r.protocol ?? (r.holder === 'carbon-c-relay' ? 'line' : 'pickle');
}

/** The carbonlink (cache query) port of the cache a relay member writes to, when the configs say. */
export function carbonlinkPortFor(ctx: LintContext, topo: Topology, ring: HeldRing, d: Destination): number | undefined {
  const t = targetsOn(ctx, topo, memberHost(d, ring), ring.file);
  const c = cacheFor(t, d.port, ringProtocol(ring));
  if (c?.cacheQuery.value != null) return c.cacheQuery.value;
  const g = t.goCarbons.find((x) => goReceiver(x, ringProtocol(ring))?.value === d.port);
  return g?.carbonlink?.value ?? undefined;
}
