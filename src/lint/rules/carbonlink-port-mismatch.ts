// carbonlink-port-mismatch (R8): each CARBONLINK_HOSTS entry's port is the CACHE_QUERY_PORT of the cache
// instance the relay writes that node to. The fix rewrites the entry's port; when no relay member matches
// the entry (a members mismatch, reported by R1), the query ports of the host's instances are listed.
import type { Destination, HeldRing, Where } from '../model.js';
import { cacheFor, memberHost, ringProtocol, targetsOn } from '../port-targets.js';
import { nodeKey } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';
import { memberPortEdit } from '../setting-edits.js';
import { isLoopback, mappedServer } from '../topology-model.js';

export const rule = defineRule({
  meta: {
    id: 'carbonlink-port-mismatch',
    ref: 'R8',
    severity: 'error',
    summary: 'A CARBONLINK_HOSTS port is not the CACHE_QUERY_PORT of the cache instance the relay writes to',
    fixable: 'edit',
    messages: {
      wrongCache:
        '{{label}}: the relay writes node {{node}} to carbon-cache {{instance}} (port {{relayPort}}), which answers carbonlink queries on {{query}}, not {{port}}{{whose}}',
      whose: " ({{port}} is instance {{other}}'s: carbonlink asks the wrong cache)",
      fix: 'use {{entry}}',
      nobody: '{{label}}: no carbon-cache on {{on}} answers carbonlink queries on {{port}} ({{caches}})',
      fixNobody: 'use the CACHE_QUERY_PORT of the intended instance: {{ports}}',
    },
  },
  check(ctx, topo) {
    for (const [w, m] of topo.mirrors) {
      const web: HeldRing = w.ring!;
      const ring = m.ring;
      const relayByNode = new Map<string, Destination>();
      for (const x of ring.spec.destinations) relayByNode.set(nodeKey({ ...x, server: mappedServer(x.server, ring.host) }, ring.spec), x);
      for (const y of web.spec.destinations) {
        const host = mappedServer(y.server, web.host);
        const t = targetsOn(
          ctx,
          topo,
          isLoopback(host) ? undefined : host,
          isLoopback(host) && web.host === undefined ? ring.file : web.file,
        );
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
          const query = target.cacheQuery.value;
          if (query === y.port || query === null) continue;
          const other = caches.find((p) => p.cacheQuery.value === y.port);
          rule.report(ctx, {
            ...where,
            message: rule.msg('wrongCache', {
              label,
              node: y.instance === null ? host : `${host}:${y.instance}`,
              instance: target.instance,
              relayPort: relayMember!.port,
              query,
              port: y.port,
              whose: other !== undefined ? rule.msg('whose', { port: y.port, other: other.instance }) : '',
            }),
            fix: rule.msg('fix', { entry: `${y.server}:${query}${y.instance === null ? '' : `:${y.instance}`}` }),
            edits: [memberPortEdit(ctx, where.file, where.line, y.server, y.port, query, y.instance)],
            related: [target.cacheQuery.where, { file: ring.members.file, line: relayMember!.line ?? ring.members.line }],
          });
          continue;
        }
        if (caches.some((p) => p.cacheQuery.value === y.port) || t.goCarbons.some((g) => g.carbonlink?.value === y.port)) continue;
        rule.report(ctx, {
          ...where,
          message: rule.msg('nobody', {
            label,
            on: isLoopback(host) ? `the host of ${ctx.display(web.file)}` : host,
            port: y.port,
            caches: caches.map((p) => `${p.instance}: ${p.cacheQuery.value ?? 'off'}`).join(', '),
          }),
          fix: rule.msg('fixNobody', { ports: caches.map((p) => `${p.instance} → ${p.cacheQuery.value}`).join(', ') }),
          related: caches.map((p) => p.cacheQuery.where),
        });
      }
    }
  },
});
