// destination-port-mismatch (R8): every relay destination reaches the receiver of the protocol the relay
// speaks (carbon-relay: DESTINATION_PROTOCOL, carbon-c-relay: line, relay-ng: pickle=…) on the instance it
// means (the one its instance names, or the only one). In two tiers the top relay reaches the per-host
// relay. The fix rewrites the member's port.
import type { LintContext } from '../context.js';
import type { CarbonProcess, Destination, HeldRing, Where } from '../model.js';
import { cacheFor, goReceiver, memberHost, receiver, ringProtocol, targetsOn, type HostTargets, type Protocol } from '../port-targets.js';
import { defineRule } from '../rule-definition.js';
import { memberPortEdit } from '../setting-edits.js';
import { writers, type Topology } from '../topology-model.js';

const PROTOCOL_NAME: Record<Protocol, string> = { pickle: 'pickle', line: 'line (plaintext)', udp: 'UDP', protobuf: 'protobuf' };

export const rule = defineRule({
  meta: {
    id: 'destination-port-mismatch',
    ref: 'R8',
    severity: 'error',
    summary: "A relay destination port is not the target's receiver for the protocol in use",
    fixable: 'edit',
    messages: {
      toRelay: '{{label}} should reach the relay on {{on}} through its {{protocol}} receiver ({{why}}), but {{problem}}',
      relayOther: '{{port}} is its {{other}} receiver',
      relayCache:
        '{{port}} is a receiver of carbon-cache {{instance}}: this bypasses the per-host relay, so every metric for {{on}} lands on that one instance',
      relayNone: 'no relay there listens on {{port}} ({{relays}})',
      fixRelay: 'use port {{ports}}',
      toCache: '{{label}}: {{why}}',
      wrongProtocol: '{{port}} is the {{other}} receiver of carbon-cache {{instance}}, but {{why}}: {{consequence}}',
      lineToPickle: 'the cache cannot read what arrives and no data is stored (c-relay #44)',
      pickleToLine: 'the cache reads garbage',
      query: '{{port}} is the carbonlink (CACHE_QUERY_PORT) of carbon-cache {{instance}}, not a receiver',
      none: 'no carbon-cache instance on {{on}} listens on {{port}} ({{caches}})',
      fixCache: 'point it at the {{protocol}} receiver of the intended instance: {{receivers}}',
    },
  },
  check(ctx, topo) {
    for (const r of cachePickingRings(topo)) for (const x of r.spec.destinations) destinationPort(ctx, topo, r, x, 'cache');
    if (topo.layout === 'two-tier')
      for (const r of topo.tier1) for (const x of r.spec.destinations) destinationPort(ctx, topo, r, x, 'relay');
  },
});

function cachePickingRings(topo: Topology): HeldRing[] {
  if (topo.layout === 'two-tier') return [...topo.tier2.values()].flat();
  return writers(topo, undefined).filter((r) => r.role === 'relay');
}

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
  const other = protocol === 'pickle' ? 'line' : 'pickle';
  if (target === 'relay') {
    const relays = t.relays;
    if (relays.length === 0 || relays.some((p) => receiver(p, protocol)?.value === x.port)) return;
    const wrong = relays.find((p) => (protocol === 'pickle' ? p.line : p.pickle).value === x.port);
    const cache = t.caches.find((p) => p.line.value === x.port || p.pickle.value === x.port);
    const only = relays.length === 1 ? receiver(relays[0]!, protocol)?.value : undefined;
    rule.report(ctx, {
      ...where,
      message: rule.msg('toRelay', {
        label,
        on,
        protocol: PROTOCOL_NAME[protocol],
        why: protocolWhy(r),
        problem: wrong
          ? rule.msg('relayOther', { port: x.port, other })
          : cache
            ? rule.msg('relayCache', { port: x.port, instance: cache.instance, on })
            : rule.msg('relayNone', { port: x.port, relays: describeRelays(relays, protocol) }),
      }),
      fix: rule.msg('fixRelay', {
        ports: relays
          .map(
            (p) =>
              `${receiver(p, protocol)?.value ?? '?'} (the ${protocol} receiver of the relay${relays.length > 1 ? ` ${p.instance}` : ''})`,
          )
          .join(' or '),
      }),
      edits: only === undefined || only === null ? [] : [memberPortEdit(ctx, where.file, where.line, x.server, x.port, only, x.instance)],
      related: relays.map((p) => receiver(p, protocol)?.where ?? { file: p.file, line: p.sectionLine }),
    });
    return;
  }
  if (t.caches.length === 0 && t.goCarbons.length === 0) return;
  if (cacheFor(t, x.port, protocol) !== undefined) return;
  if (t.goCarbons.some((g) => goReceiver(g, protocol)?.value === x.port)) return;
  const wrongProto = t.caches.find((p) => (protocol === 'pickle' ? p.line : p.pickle).value === x.port);
  const query = t.caches.find((p) => p.cacheQuery.value === x.port);
  let why: string;
  if (wrongProto !== undefined) {
    why = rule.msg('wrongProtocol', {
      port: x.port,
      other,
      instance: wrongProto.instance,
      why: protocolWhy(r),
      consequence: protocol === 'line' ? rule.msg('lineToPickle') : rule.msg('pickleToLine'),
    });
  } else if (query !== undefined) {
    why = rule.msg('query', { port: x.port, instance: query.instance });
  } else {
    why = rule.msg('none', { on, port: x.port, caches: describeCaches(t, protocol) });
  }
  const intended = x.instance !== null ? t.caches.filter((p) => p.instance === x.instance) : t.caches.length === 1 ? t.caches : [];
  // The intended instance's receiver, unless another instance binds it too (then the port conflict is the fix).
  const candidate = intended.length === 1 ? receiver(intended[0]!, protocol)?.value : undefined;
  const port = t.caches.filter((p) => receiver(p, protocol)?.value === candidate).length === 1 ? candidate : undefined;
  rule.report(ctx, {
    ...where,
    message: rule.msg('toCache', { label, why }),
    fix: rule.msg('fixCache', { protocol: PROTOCOL_NAME[protocol], receivers: receiverList(t.caches, protocol) || 'see the cache config' }),
    edits: port === undefined || port === null ? [] : [memberPortEdit(ctx, where.file, where.line, x.server, x.port, port, x.instance)],
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
