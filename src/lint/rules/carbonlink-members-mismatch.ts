// carbonlink-members-mismatch (R1): each graphite-web's CARBONLINK_HOSTS lists exactly the members of the
// relay ring it serves, written as the relay writes them (server string and instance): graphite-web builds
// its own ring from them to find unflushed points. The fix is the CARBONLINK_HOSTS literal, with each
// cache's query port. A second form (warning, on the relay) names ring members no linted webapp lists.
import type { LintContext } from '../context.js';
import type { Webapp } from '../model.js';
import { carbonlinkEntries, singleHost, suggestCarbonlink, wrongInstanceShare } from '../carbonlink-model.js';
import { list, nodeKey, pct, quantify, quantityText } from '../ring-compare.js';
import { membersIn, webappExpectation, webappModelsWrongTier, type WebappExpectation } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { memberListEdit } from '../setting-edits.js';
import { isLoopback, mappedServer, type Topology } from '../topology-model.js';

export const rule = defineRule({
  meta: {
    id: 'carbonlink-members-mismatch',
    ref: 'R1',
    severity: 'error',
    summary: "A webapp's CARBONLINK_HOSTS are not exactly its host's members of the relay ring",
    fixable: 'edit',
    messages: {
      loopbackOnly:
        "CARBONLINK_HOSTS names only {{servers}}, which is no member of {{ring}}: the relay's ring keys are {{keys}}, and ring keys are strings, not addresses",
      differs: 'CARBONLINK_HOSTS does not match the members{{where}} that {{ring}} lists',
      onlyRelay: 'members only in {{name}}: {{list}}',
      onlyWeb: 'only in CARBONLINK_HOSTS: {{list}}',
      loopback: 'it writes {{loopback}} where the relay writes {{host}}: ring keys are strings, not addresses',
      today:
        'today every lookup still reaches the right cache ({{host}} runs one instance in this ring); it breaks when a second instance is added',
      share:
        'graphite-web looks up {{share}} of the keys stored on {{host}} on another cache instance than the relay wrote them to, so their unflushed points are missing from graphs',
      fix: 'set CARBONLINK_HOSTS = {{literal}}',
      fixUnplaced:
        'name the caches exactly as {{name}} does ({{servers}}); to check which ones, put this file in a directory named after its host or state its host under topology.webapps in the cluster file',
      uncovered:
        'no webapp among the linted files lists the caches on {{hosts}} in CARBONLINK_HOSTS (webapps: {{webapps}}): points still in those caches are not visible until flushed',
      fixUncovered: 'give the webapp on {{hosts}} the members of {{name}} on its host (or add its local_settings.py to the linted files)',
    },
  },
  async check(ctx, topo) {
    for (const [w, m] of topo.mirrors) {
      const e = webappExpectation(w, m);
      if (e.cmp.sameSet || webappModelsWrongTier(topo, e)) continue;
      await mismatch(ctx, topo, w, e);
    }
    coverage(ctx, topo);
  },
});

async function mismatch(ctx: LintContext, topo: Topology, w: Webapp, e: WebappExpectation): Promise<void> {
  const { web, ring, expected } = e;
  const servers = (xs: { server: string }[]) => list([...new Set(xs.map((x) => x.server))]);
  const loopbackOnly =
    web.spec.destinations.every((x) => isLoopback(x.server)) && !ring.spec.destinations.some((x) => isLoopback(x.server));
  const host = expected.length > 0 ? singleHost(expected.map((x) => mappedServer(x.server, ring.host ?? w.host))) : undefined;
  const parts: string[] = [];
  if (expected.length === 0 && loopbackOnly) {
    parts.push(
      rule.msg('loopbackOnly', {
        servers: servers(web.spec.destinations),
        ring: membersIn(ctx, ring),
        keys: servers(ring.spec.destinations),
      }),
    );
  } else {
    parts.push(rule.msg('differs', { where: e.where, ring: membersIn(ctx, ring) }));
    if (e.cmp.onlyA.length > 0) parts.push(rule.msg('onlyRelay', { name: ring.membersName, list: list(e.cmp.onlyA) }));
    if (e.cmp.onlyB.length > 0) parts.push(rule.msg('onlyWeb', { list: list(e.cmp.onlyB) }));
    if (
      host !== undefined &&
      web.spec.destinations.some((x) => isLoopback(x.server)) &&
      !ring.spec.destinations.some((x) => isLoopback(x.server))
    ) {
      const loopback = [...new Set(web.spec.destinations.filter((x) => isLoopback(x.server)).map((x) => x.server))].join(', ');
      parts.push(rule.msg('loopback', { loopback, host }));
    }
  }
  let severity: 'error' | 'warning' = 'error';
  if (host !== undefined) {
    const share = wrongInstanceShare(ctx, topo, ring, web, host, w.host);
    if (share !== undefined) {
      if (share === 0) {
        severity = 'warning';
        parts.push(rule.msg('today', { host }));
      } else {
        parts.push(rule.msg('share', { share: pct(share), host }));
      }
    }
  } else if (!loopbackOnly) {
    const q = await quantify({ ...ring.spec, destinations: expected.length > 0 ? expected : ring.spec.destinations }, web.spec);
    if (q !== undefined) parts.push(quantityText(q));
  }
  const entries = expected.length > 0 ? carbonlinkEntries(ctx, topo, ring, expected, web) : undefined;
  rule.report(ctx, {
    file: web.members.file,
    line: web.members.line,
    severity,
    message: parts.join('; '),
    fix:
      entries !== undefined
        ? rule.msg('fix', { literal: suggestCarbonlink(ctx, topo, ring, expected, web) })
        : rule.msg('fixUnplaced', { name: ring.membersName, servers: servers(ring.spec.destinations) }),
    edits: entries === undefined ? [] : [memberListEdit(ctx, web, entries)],
    related: [ring.members],
  });
}

/** Every member of a mirrored ring is listed by some webapp. */
function coverage(ctx: LintContext, topo: Topology): void {
  const byRing = new Map<(typeof topo.tier1)[number], Webapp[]>();
  for (const [w, m] of topo.mirrors) {
    if (!byRing.has(m.ring)) byRing.set(m.ring, []);
    byRing.get(m.ring)!.push(w);
  }
  for (const [ring, webapps] of byRing) {
    // A webapp that must list the whole ring is compared member by member: its finding says what is missing.
    if (webapps.some((w) => topo.mirrors.get(w)!.servers === null && topo.layout !== 'two-tier')) continue;
    // Any webapp counts, whichever ring it was paired with; so do webapps whose ring could not be evaluated.
    const all = ctx.webapps.filter((w) => w.ring !== undefined);
    const listed = new Set<string>();
    for (const w of all)
      for (const x of w.ring!.spec.destinations) listed.add(nodeKey({ ...x, server: mappedServer(x.server, w.host) }, w.ring!.spec));
    const missing = ring.spec.destinations.filter(
      (x) => !listed.has(nodeKey({ ...x, server: mappedServer(x.server, ring.host) }, ring.spec)),
    );
    const missingHosts = [...new Set(missing.map((x) => mappedServer(x.server, ring.host)))];
    // Hosts some webapp already covers are reported by that webapp's own comparison.
    const coveredHosts = new Set(all.flatMap((w) => w.ring!.spec.destinations.map((x) => mappedServer(x.server, w.host))));
    for (const w of ctx.webapps) if (w.host !== undefined) coveredHosts.add(w.host);
    const uncovered = missingHosts.filter((h) => !coveredHosts.has(h));
    if (uncovered.length === 0) continue;
    // A webapp on an unknown host that names only loopback addresses may be the one on a missing host.
    const unplaced = all.filter((w) => w.host === undefined && w.ring!.spec.destinations.every((x) => isLoopback(x.server)));
    if (unplaced.length > 0) continue;
    rule.report(ctx, {
      file: ring.members.file,
      line: ring.members.line,
      severity: 'warning',
      message: rule.msg('uncovered', { hosts: list(uncovered), webapps: list(webapps.map((w) => ctx.display(w.file))) }),
      fix: rule.msg('fixUncovered', { hosts: list(uncovered), name: ring.membersName }),
      related: webapps.map((w) => w.ring!.members),
    });
  }
}
