// Ports (configs.md §9 R8, R9): every relay destination reaches the receiver of the protocol it speaks,
// every CARBONLINK_HOSTS entry the cache query port of the instance the relay writes to, and no two
// processes on one host bind the same port or share a pidfile.
import type { LintContext } from '../context.js';
import type { CarbonProcess, Destination, HeldRing, Where } from '../model.js';
import { isLoopback, mappedServer, writers, type Topology } from '../topology.js';
import { nodeKey } from './compare.js';
import { cacheFor, goReceiver, memberHost, receiver, ringProtocol, targetsOn, type HostTargets, type Protocol } from './targets.js';

export function checkPorts(ctx: LintContext, topo: Topology): void {
  for (const r of cachePickingRings(topo)) for (const x of r.spec.destinations) destinationPort(ctx, topo, r, x, 'cache');
  if (topo.layout === 'two-tier')
    for (const r of topo.tier1) for (const x of r.spec.destinations) destinationPort(ctx, topo, r, x, 'relay');
  for (const [w, m] of topo.mirrors) carbonlinkPorts(ctx, topo, w.ring!, m.ring);
  portConflicts(ctx, topo);
}

function cachePickingRings(topo: Topology): HeldRing[] {
  if (topo.layout === 'two-tier') return [...topo.tier2.values()].flat();
  return writers(topo, undefined).filter((r) => r.role === 'relay');
}

const PROTOCOL_NAME: Record<Protocol, string> = { pickle: 'pickle', line: 'line (plaintext)', udp: 'UDP', protobuf: 'protobuf' };

function protocolWhy(r: HeldRing): string {
  if (r.holder === 'carbon-c-relay') return 'carbon-c-relay speaks only the line protocol';
  if (r.holder === 'carbon-relay-ng')
    return `carbon-relay-ng sends ${r.protocol === 'pickle' ? 'pickle (pickle=true)' : 'the line protocol (pickle=false)'}`;
  return `DESTINATION_PROTOCOL is ${r.protocol ?? 'pickle'}`;
}

function destinationPort(ctx: LintContext, topo: Topology, r: HeldRing, x: Destination, target: 'cache' | 'relay'): void {
  const host = memberHost(x, r);
  const t = targetsOn(ctx, topo, host, r.file);
  const protocol = ringProtocol(r);
  const where: Where = { file: r.members.file, line: x.line ?? r.members.line };
  const label = `${x.server.includes(':') ? `[${x.server}]` : x.server}:${x.port}${x.instance === null ? '' : `:${x.instance}`}`;
  const on = host ?? `the host of ${ctx.display(r.file)}`;
  if (target === 'relay') {
    // Two-tier: the top relay writes to the per-host relays.
    const relays = t.relays;
    if (relays.length === 0) return;
    const ok = relays.some((p) => receiver(p, protocol)?.value === x.port);
    if (ok) return;
    const other = relays.find((p) => (protocol === 'pickle' ? p.line : p.pickle).value === x.port);
    const cache = t.caches.find((p) => p.line.value === x.port || p.pickle.value === x.port);
    ctx.findings.add('destination-port-mismatch', {
      ...where,
      message:
        `${label} should reach the relay on ${on} through its ${PROTOCOL_NAME[protocol]} receiver (${protocolWhy(r)}), ` +
        (other
          ? `but ${x.port} is its ${protocol === 'pickle' ? 'line' : 'pickle'} receiver`
          : cache
            ? `but ${x.port} is a receiver of carbon-cache ${cache.instance}: this bypasses the per-host relay, so every metric for ${on} lands on that one instance`
            : `but no relay there listens on ${x.port} (${describeRelays(relays, protocol)})`),
      fix: `use port ${relays.map((p) => `${receiver(p, protocol)?.value ?? '?'} (the ${protocol} receiver of the relay${relays.length > 1 ? ` ${p.instance}` : ''})`).join(' or ')}`,
      related: relays.map((p) => receiver(p, protocol)?.where ?? { file: p.file, line: p.sectionLine }),
    });
    return;
  }
  if (t.caches.length === 0 && t.goCarbons.length === 0) return;
  if (cacheFor(t, x.port, protocol) !== undefined) return;
  if (t.goCarbons.some((g) => goReceiver(g, protocol)?.value === x.port)) return;
  // The per-host relay of a two-tier layout is not a cache; anything else is a wrong port.
  const wrongProto = t.caches.find((p) => (protocol === 'pickle' ? p.line : p.pickle).value === x.port);
  const query = t.caches.find((p) => p.cacheQuery.value === x.port);
  let why: string;
  if (wrongProto !== undefined) {
    why = `${x.port} is the ${protocol === 'pickle' ? 'line' : 'pickle'} receiver of carbon-cache ${wrongProto.instance}, but ${protocolWhy(r)}: ${protocol === 'line' ? 'the cache cannot read what arrives and no data is stored (c-relay #44)' : 'the cache reads garbage'}`;
  } else if (query !== undefined) {
    why = `${x.port} is the carbonlink (CACHE_QUERY_PORT) of carbon-cache ${query.instance}, not a receiver`;
  } else {
    why = `no carbon-cache instance on ${on} listens on ${x.port} (${describeCaches(t, protocol)})`;
  }
  ctx.findings.add('destination-port-mismatch', {
    ...where,
    message: `${label}: ${why}`,
    fix: `point it at the ${PROTOCOL_NAME[protocol]} receiver of the intended instance: ${receiverList(t.caches, protocol) || 'see the cache config'}`,
    related: [...t.caches.map((p) => receiver(p, protocol)?.where ?? { file: p.file, line: p.sectionLine })],
  });
}

function describeCaches(t: HostTargets, protocol: Protocol): string {
  const items = t.caches.map((p) => `${p.instance}: ${protocol} ${receiver(p, protocol)?.value ?? 'off'}`);
  for (const g of t.goCarbons)
    items.push(`go-carbon: ${protocol === 'pickle' ? 'pickle' : 'tcp'} ${goReceiver(g, protocol)?.value ?? 'off'}`);
  return `instances ${items.join(', ')}`;
}

function describeRelays(relays: CarbonProcess[], protocol: Protocol): string {
  return relays.map((p) => `relay ${p.instance}: ${protocol} ${receiver(p, protocol)?.value ?? 'off'}`).join(', ');
}

function receiverList(ps: CarbonProcess[], protocol: Protocol): string {
  return ps
    .map((p) => `${p.program === 'cache' ? 'instance ' : 'relay '}${p.instance} → ${receiver(p, protocol)?.value ?? 'off'}`)
    .join(', ');
}

/** CARBONLINK_HOSTS: each entry's port must be the cache query port of the instance the relay writes that node to. */
function carbonlinkPorts(ctx: LintContext, topo: Topology, web: HeldRing, ring: HeldRing): void {
  const relayByNode = new Map<string, Destination>();
  for (const x of ring.spec.destinations) relayByNode.set(nodeKey({ ...x, server: mappedServer(x.server, ring.host) }, ring.spec), x);
  for (const y of web.spec.destinations) {
    const host = mappedServer(y.server, web.host);
    const t = targetsOn(ctx, topo, isLoopback(host) ? undefined : host, isLoopback(host) && web.host === undefined ? ring.file : web.file);
    const caches = t.caches;
    if (caches.length === 0 && t.goCarbons.length === 0) continue;
    const where: Where = { file: web.members.file, line: y.line ?? web.members.line };
    const label = `${y.server}:${y.port}${y.instance === null ? '' : `:${y.instance}`}`;
    const relayMember = relayByNode.get(nodeKey({ ...y, server: host }, web.spec));
    const target =
      relayMember !== undefined
        ? cacheFor(targetsOn(ctx, topo, memberHost(relayMember, ring), ring.file), relayMember.port, ringProtocol(ring))
        : undefined;
    if (target !== undefined) {
      if (target.cacheQuery.value === y.port || target.cacheQuery.value === null) continue;
      ctx.findings.add('carbonlink-port-mismatch', {
        ...where,
        message:
          `${label}: the relay writes node ${y.instance === null ? host : `${host}:${y.instance}`} to carbon-cache ${target.instance} (port ${relayMember!.port}), ` +
          `which answers carbonlink queries on ${target.cacheQuery.value}, not ${y.port}` +
          (caches.some((p) => p.cacheQuery.value === y.port)
            ? ` (${y.port} is instance ${caches.find((p) => p.cacheQuery.value === y.port)!.instance}'s: carbonlink asks the wrong cache)`
            : ''),
        fix: `use ${y.server}:${target.cacheQuery.value}${y.instance === null ? '' : `:${y.instance}`}`,
        related: [target.cacheQuery.where, { file: ring.members.file, line: relayMember!.line ?? ring.members.line }],
      });
      continue;
    }
    // No relay member matches (reported as a members mismatch); still check that something answers there.
    if (caches.some((p) => p.cacheQuery.value === y.port) || t.goCarbons.some((g) => g.carbonlink?.value === y.port)) continue;
    ctx.findings.add('carbonlink-port-mismatch', {
      ...where,
      message: `${label}: no carbon-cache on ${isLoopback(host) ? `the host of ${ctx.display(web.file)}` : host} answers carbonlink queries on ${y.port} (${caches.map((p) => `${p.instance}: ${p.cacheQuery.value ?? 'off'}`).join(', ')})`,
      fix: `use the CACHE_QUERY_PORT of the intended instance: ${caches.map((p) => `${p.instance} → ${p.cacheQuery.value}`).join(', ')}`,
      related: caches.map((p) => p.cacheQuery.where),
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// R9

function portConflicts(ctx: LintContext, topo: Topology): void {
  const all = [...topo.caches, ...ctx.processes];
  const groups = new Map<string, CarbonProcess[]>();
  for (const p of all) {
    const k = p.host !== undefined ? `host\0${p.host}` : `file\0${p.file}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  for (const ps of groups.values()) {
    const bound = new Map<string, { p: CarbonProcess; what: string; where: Where }>();
    const pids = new Map<string, CarbonProcess>();
    for (const p of ps) {
      const ports: [string, number | null, Where][] = [
        ['LINE_RECEIVER_PORT', p.line.value, p.line.where],
        ['PICKLE_RECEIVER_PORT', p.pickle.value, p.pickle.where],
      ];
      if (p.udp.enabled) ports.push(['UDP_RECEIVER_PORT', p.udp.value, p.udp.where]);
      if (p.program === 'cache') ports.push(['CACHE_QUERY_PORT', p.cacheQuery.value, p.cacheQuery.where]);
      for (const [what, port, where] of ports) {
        if (port === null || port === 0) continue;
        const proto = what === 'UDP_RECEIVER_PORT' ? 'udp' : 'tcp';
        const key = `${proto}/${port}`;
        const prev = bound.get(key);
        if (prev === undefined) {
          bound.set(key, { p, what, where });
          continue;
        }
        if (prev.p === p) continue;
        const inherited =
          p.program === prev.p.program && !p.instanceOverrides.has(what)
            ? `: [${p.program}:${p.instance}] does not set ${what}, so it inherits [${p.program}]'s`
            : '';
        ctx.findings.add('cache-port-conflict', {
          file: where.file,
          line: where.line,
          message: `carbon-${p.program} ${p.instance} and carbon-${prev.p.program} ${prev.p.instance}${p.host ? ` on ${p.host}` : ''} both bind ${proto} port ${port} (${what} and ${prev.what})${inherited}; the second one fails to start`,
          fix: `set ${what} in [${p.sections[p.sections.length - 1] ?? p.program}] to a free port`,
          related: [prev.where],
        });
      }
      if (p.pidfile !== undefined) {
        const prev = pids.get(p.pidfile.path);
        if (prev !== undefined && prev !== p) {
          ctx.findings.add('cache-port-conflict', {
            file: p.pidfile.where.file,
            line: p.pidfile.where.line,
            message: `carbon-${p.program} ${p.instance} and carbon-${prev.program} ${prev.instance} write the same pidfile ${p.pidfile.path}`,
            fix: `set PID_DIR in [${p.sections[p.sections.length - 1] ?? p.program}]`,
            related: [prev.pidfile!.where],
          });
        } else pids.set(p.pidfile.path, p);
      }
    }
  }
}
