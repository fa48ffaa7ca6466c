// The linter's model of the cluster as the rules read it (built by topology.ts): the layout, the tiers,
// which ring each webapp and tool must mirror, the host of every file; and the small questions the rules
// ask of it (is this server loopback, which rings write to a host).
import type { CarbonProcess, HeldRing, Webapp } from './model.js';

export type Layout = 'single-tier' | 'two-tier' | 'none';

export interface Mirror {
  /** The ring the webapp must mirror. */
  ring: HeldRing;
  /** Servers whose members it must list (null: all members of the ring). */
  servers: Set<string> | null;
  why: string;
}

export interface Topology {
  layout: Layout;
  how: 'stated' | 'inferred';
  /** Rings that pick the cache (single-tier) or the host (two-tier); tools when there is no relay. */
  tier1: HeldRing[];
  /** two-tier: the per-host relays. */
  tier2: Map<string, HeldRing[]>;
  /** No relay was given: tier1 holds a tool ring that stands in as the reference. */
  referenceIsTool: boolean;
  /** Carbon cache instances with their hosts. */
  caches: CarbonProcess[];
  mirrors: Map<Webapp, Mirror>;
  /** Tool ring → the reference ring it must equal. */
  toolRefs: Map<HeldRing, HeldRing>;
  /** Servers named anywhere (ring members, storage keys, stated hosts), loopback excluded. */
  servers: Set<string>;
  /** Host of each file (absolute path) and how it was decided. */
  fileHosts: Map<string, { host: string; why: string }>;
}

export function isLoopback(server: string): boolean {
  return server === 'localhost' || server === '::1' || /^127\./.test(server) || server === 'ip6-localhost';
}

/** The server a member stands for on `host`: loopback addresses mean the holder's own host. */
export function mappedServer(server: string, host: string | undefined): string {
  return isLoopback(server) && host !== undefined ? host : server;
}

/** Rings that write to caches on `host` (the cache-picking tier). */
export function writers(topo: Topology, host: string | undefined): HeldRing[] {
  if (topo.layout === 'two-tier') return host === undefined ? [] : (topo.tier2.get(host) ?? []);
  return topo.referenceIsTool ? [] : topo.tier1;
}

/** Is member server `server` of ring `r` on `host`? (loopback means the ring holder's host). */
export function onHost(server: string, host: string | undefined, r: HeldRing): boolean {
  if (host === undefined) return false;
  if (server === host) return true;
  return isLoopback(server) && (r.host === host || r.host === undefined);
}
