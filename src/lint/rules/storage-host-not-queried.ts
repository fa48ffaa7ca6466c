// storage-host-not-queried (R10): every storage host is reached by the readers that fan out —
// graphite-web's CLUSTER_SERVERS (the webapp's own host is read locally) and carbonapi's backends. The new
// entries are written as the entries already there are: the same scheme, port and options as the
// majority of them (graphite-web's default port, 80, when none gives one).
import type { LintContext } from '../context.js';
import { pyListAppend, pyString } from '../fix-edits.js';
import type { Where } from '../model.js';
import { list } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';
import { isLoopback, mappedServer, type Topology } from '../topology-model.js';

export const rule = defineRule({
  meta: {
    id: 'storage-host-not-queried',
    ref: 'R10',
    severity: 'error',
    summary: 'A storage host is missing from the readers that fan out (CLUSTER_SERVERS, carbonapi backends)',
    fixable: 'edit',
    messages: {
      webapp:
        'CLUSTER_SERVERS does not reach {{hosts}}, which {{store}} metrics (ring members in {{files}}): graphs drawn through this webapp miss every series stored there (host names compared as written{{self}})',
      selfUnknown: "; this webapp's own host is not known",
      fixWebapp: 'add {{entries}} to CLUSTER_SERVERS ({{how}})',
      howMajority: 'the port the other entries use',
      howDefault: "graphite-web's default port",
      carbonapi:
        "carbonapi's backends do not include {{hosts}}, which {{store}} metrics: series stored there are missing from every graph (host names compared as written)",
      fixCarbonapi: 'add {{entries}} to upstreams.backends',
    },
  },
  check(ctx, topo) {
    const hosts = storageHosts(ctx, topo);
    if (hosts.size < 2) return;
    for (const w of ctx.webapps) {
      const cs = w.clusterServers;
      if (cs === undefined || cs.hosts.length === 0) continue;
      const reached = new Set(cs.hosts.map((h) => h.host));
      if (w.host !== undefined) reached.add(w.host);
      const missing = [...hosts.keys()].filter((h) => !reached.has(h));
      if (missing.length === 0) continue;
      const entries = likeTheOthers(cs.hosts, missing, '80');
      rule.report(ctx, {
        file: cs.where.file,
        line: cs.where.line,
        message: rule.msg('webapp', {
          hosts: list(missing),
          store: missing.length === 1 ? 'stores' : 'store',
          files: list([...new Set(missing.map((h) => ctx.display(hosts.get(h)!.file)))]),
          self: w.host === undefined ? rule.msg('selfUnknown') : '',
        }),
        fix: rule.msg('fixWebapp', {
          entries: entries.texts.map((e) => `"${e}"`).join(', '),
          how: entries.templated ? rule.msg('howMajority') : rule.msg('howDefault'),
        }),
        edits: [pyListAppend(ctx, cs.where.file, cs.where.line, entries.texts.map(pyString).join(', '))],
        related: missing.map((h) => hosts.get(h)!),
      });
    }
    for (const a of ctx.carbonapis) {
      if (a.backends.length === 0) continue;
      const reached = new Set(a.backends.map((b) => b.host));
      const missing = [...hosts.keys()].filter((h) => !reached.has(h));
      if (missing.length === 0) continue;
      const entries = likeTheOthers(a.backends, missing, '8080', 'http://');
      rule.report(ctx, {
        file: a.file,
        line: a.backends[0]!.line,
        message: rule.msg('carbonapi', { hosts: list(missing), store: missing.length === 1 ? 'stores' : 'store' }),
        fix: rule.msg('fixCarbonapi', { entries: entries.texts.map((e) => `"${e}"`).join(', ') }),
        related: missing.map((h) => hosts.get(h)!),
      });
    }
  },
});

/** Hosts that store data: the servers of the cache-picking (or host-picking) rings, and go-carbon hosts. */
function storageHosts(ctx: LintContext, topo: Topology): Map<string, Where> {
  const out = new Map<string, Where>();
  if (topo.referenceIsTool) return out;
  for (const r of topo.tier1) {
    for (const x of r.spec.destinations) {
      const h = mappedServer(x.server, r.host);
      if (!isLoopback(h) && !out.has(h)) out.set(h, { file: r.members.file, line: x.line ?? r.members.line });
    }
  }
  for (const g of ctx.goCarbons) if (g.host !== undefined && !out.has(g.host)) out.set(g.host, { file: g.file, line: null });
  return out;
}

/** Entries for `hosts` written like the existing ones: the majority port's first entry, its host replaced. */
function likeTheOthers(
  existing: readonly { text: string; host: string }[],
  hosts: readonly string[],
  defaultPort: string,
  scheme = '',
): { texts: string[]; templated: boolean } {
  const portOf = (e: { text: string; host: string }) => {
    const i = e.text.indexOf(e.host);
    const m = /^\]?:([0-9]+)/.exec(e.text.slice(i + e.host.length));
    return m === null ? '' : m[1]!;
  };
  const votes = new Map<string, number>();
  for (const e of existing) votes.set(portOf(e), (votes.get(portOf(e)) ?? 0) + 1);
  const best = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  const template = existing.find((e) => portOf(e) === best && e.text.includes(e.host));
  const write = (h: string) => (h.includes(':') ? `[${h}]` : h);
  if (template === undefined) return { texts: hosts.map((h) => `${scheme}${write(h)}:${defaultPort}`), templated: false };
  const i = template.text.indexOf(template.host);
  return { texts: hosts.map((h) => template.text.slice(0, i) + h + template.text.slice(i + template.host.length)), templated: true };
}
