// graphite-web's CarbonLink ring next to the relay's: which CARBONLINK_HOSTS literal mirrors a set of relay
// members (with each cache's query port), and which share of a host's keys the webapp looks up on another
// cache instance than the relay wrote them to.
import type { LintContext } from './context.js';
import type { Destination, HeldRing } from './model.js';
import { cacheFor, carbonlinkPortFor, ringProtocol, targetsOn } from './port-targets.js';
import { hashedIdentity, ringOf } from './ring-compare.js';
import { positionComparison } from '../ring/analysis/diff.js';
import { isLoopback, mappedServer, type Topology } from './topology-model.js';

export function singleHost(xs: string[]): string | undefined {
  const s = new Set(xs);
  return s.size === 1 ? [...s][0] : undefined;
}

/** The CARBONLINK_HOSTS entries for these relay members, with the cache query ports the configs give. */
export function carbonlinkEntries(
  ctx: LintContext,
  topo: Topology,
  ring: HeldRing,
  members: readonly Destination[],
  web: HeldRing,
): string[] {
  return members.map((x) => {
    const id = hashedIdentity(x, ring.spec);
    const port =
      carbonlinkPortFor(ctx, topo, ring, x) ??
      web.spec.destinations.find((y) => y.instance === id.instance && (y.server === x.server || isLoopback(y.server)))?.port ??
      7002;
    const host = x.server.includes(':') ? `[${x.server}]` : x.server;
    return `${host}:${port}${id.instance === null ? '' : `:${id.instance}`}`;
  });
}

/** A CARBONLINK_HOSTS literal for these relay members. */
export function suggestCarbonlink(
  ctx: LintContext,
  topo: Topology,
  ring: HeldRing,
  members: readonly Destination[],
  web: HeldRing,
): string {
  return `[${carbonlinkEntries(ctx, topo, ring, members, web)
    .map((e) => `"${e}"`)
    .join(', ')}]`;
}

/**
 * Of the keys the relay stores on `host` (any replica there), the share graphite-web looks up on another
 * cache: exact over the 16-bit keyspace when both rings hash to it (for fnv1a: ASCII keys). A node is
 * resolved to the cache process it reaches when the host's carbon.conf is linted (relay side by receiver
 * port, webapp side by cache query port), else matched by instance name (loopback = the webapp's host).
 */
export function wrongInstanceShare(
  ctx: LintContext,
  topo: Topology,
  full: HeldRing,
  web: HeldRing,
  host: string,
  webHost: string | undefined,
): number | undefined {
  const rf = ringOf(full.spec);
  const rw = ringOf(web.spec);
  const pf = rf?.positionSpace;
  const pw = rw?.positionSpace;
  if (rf === null || rw === null || pf === undefined || pw === undefined || positionComparison(rf, rw) === undefined) return undefined;
  const t = targetsOn(ctx, topo, host, full.file);
  const protocol = ringProtocol(full);
  const relayCache = new Map<Destination, string>();
  const webCache = new Map<Destination, string>();
  const relayKey = (o: Destination): string => {
    let k = relayCache.get(o);
    if (k === undefined) {
      const c = cacheFor(t, o.port, protocol);
      k = c !== undefined ? `cache ${c.file} ${c.instance}` : `instance ${o.instance}`;
      relayCache.set(o, k);
    }
    return k;
  };
  const webKey = (o: Destination): string => {
    let k = webCache.get(o);
    if (k === undefined) {
      const c = t.caches.find((p) => p.cacheQuery.value === o.port);
      k =
        mappedServer(o.server, webHost ?? host) !== host
          ? 'elsewhere'
          : c !== undefined
            ? `cache ${c.file} ${c.instance}`
            : `instance ${o.instance}`;
      webCache.set(o, k);
    }
    return k;
  };
  let stored = 0;
  let wrong = 0;
  for (let p = 0; p < pf.size; p++) {
    const owner = pf.ownersAt(p).find((o) => mappedServer(o.server, full.host) === host);
    if (owner === undefined) continue;
    stored++;
    const asked = pw.ownersAt(p)[0];
    if (asked === undefined || webKey(asked) !== relayKey(owner)) wrong++;
  }
  return stored === 0 ? undefined : wrong / stored;
}
