// Readers (configs.md §9 R10, R12): every cache's data directory is read by its host's webapp, every
// storage host is reached by the readers that fan out, and the webapp knows the caches' self-metrics prefix.
import type { LintContext } from '../context.js';
import type { Where } from '../model.js';
import { isLoopback, mappedServer, type Topology } from '../topology.js';
import { list } from './compare.js';

export function checkReaders(ctx: LintContext, topo: Topology): void {
  dataDirs(ctx, topo);
  fanOut(ctx, topo);
  metricPrefix(ctx, topo);
}

function dataDirs(ctx: LintContext, topo: Topology): void {
  for (const c of topo.caches) {
    if (c.host === undefined || c.localDataDir === undefined) continue;
    const readers = ctx.webapps.filter((w) => w.host === c.host && w.dataDirs !== undefined);
    if (readers.length === 0) continue;
    for (const w of readers) {
      const dirs = w.dataDirs!;
      if (dirs.paths.includes(c.localDataDir.path)) continue;
      const assumed = [c.localDataDir.assumed, dirs.assumed].filter((x) => x !== undefined);
      ctx.findings.add('data-dir-not-read', {
        file: c.localDataDir.where.file,
        line: c.localDataDir.where.line,
        message:
          `carbon-cache ${c.instance} on ${c.host} writes whisper files to ${c.localDataDir.path}, but the webapp there (${ctx.display(w.file)}) reads only ${list(dirs.paths) || '(nothing)'}: ` +
          `metrics stored by this instance are invisible once flushed` +
          (assumed.length > 0 ? ` (paths: ${assumed.join('; ')})` : ''),
        fix: `add ${c.localDataDir.path} to STANDARD_DIRS in ${ctx.display(w.file)}, or point LOCAL_DATA_DIR at ${dirs.paths[0] ?? "the webapp's WHISPER_DIR"}`,
        related: [dirs.where],
      });
    }
  }
}

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

function fanOut(ctx: LintContext, topo: Topology): void {
  const hosts = storageHosts(ctx, topo);
  if (hosts.size < 2) return;
  for (const w of ctx.webapps) {
    const cs = w.clusterServers;
    if (cs === undefined || cs.hosts.length === 0) continue;
    const reached = new Set(cs.hosts.map((h) => h.host));
    // The webapp's own host: it reads that host's files locally.
    const self = w.host;
    if (self !== undefined) reached.add(self);
    const missing = [...hosts.keys()].filter((h) => !reached.has(h));
    if (missing.length === 0) continue;
    ctx.findings.add('storage-host-not-queried', {
      file: cs.where.file,
      line: cs.where.line,
      message:
        `CLUSTER_SERVERS does not reach ${list(missing)}, which ${missing.length === 1 ? 'stores' : 'store'} metrics (ring members in ${list([...new Set(missing.map((h) => ctx.display(hosts.get(h)!.file)))])}): ` +
        `graphs drawn through this webapp miss every series stored there (host names compared as written${self === undefined ? "; this webapp's own host is not known" : ''})`,
      fix: `add ${missing.map((h) => `"${h}:80"`).join(', ')} (the webapp port on those hosts) to CLUSTER_SERVERS`,
      related: missing.map((h) => hosts.get(h)!),
    });
  }
  for (const a of ctx.carbonapis) {
    if (a.backends.length === 0) continue;
    const reached = new Set(a.backends.map((b) => b.host));
    const missing = [...hosts.keys()].filter((h) => !reached.has(h));
    if (missing.length === 0) continue;
    ctx.findings.add('storage-host-not-queried', {
      file: a.file,
      line: a.backends[0]!.line,
      message: `carbonapi's backends do not include ${list(missing)}, which ${missing.length === 1 ? 'stores' : 'store'} metrics: series stored there are missing from every graph (host names compared as written)`,
      fix: `add the carbonserver URL of ${list(missing)} (e.g. "http://${missing[0]}:8080") to upstreams.backends`,
      related: missing.map((h) => hosts.get(h)!),
    });
  }
}

function metricPrefix(ctx: LintContext, topo: Topology): void {
  for (const w of ctx.webapps) {
    const pw = w.metricPrefix.value;
    const seen = new Set<string>();
    const caches = w.host !== undefined ? topo.caches.filter((c) => c.host === w.host || c.host === undefined) : topo.caches;
    for (const c of caches) {
      if (c.relayCacheMetrics.value) continue;
      const pc = c.metricPrefix.value;
      if (pc.startsWith(pw) || seen.has(pc)) continue;
      seen.add(pc);
      ctx.findings.add('metric-prefix-mismatch', {
        file: w.metricPrefix.where.file,
        line: w.metricPrefix.where.line,
        message:
          `carbon-cache ${c.instance}${c.host ? ` on ${c.host}` : ''} writes its self-metrics locally under "${pc}" (RELAY_CACHE_METRICS = False), but this webapp's CARBON_METRIC_PREFIX is "${pw}": ` +
          `it hashes "${pc}.*" like any metric instead of asking every cache, so most of them are missing from graphs (and a misplacement scan must skip them)`,
        fix: `set CARBON_METRIC_PREFIX = "${pc}" here, or the same prefix in the caches`,
        related: [c.metricPrefix.where],
      });
    }
    for (const g of ctx.goCarbons) {
      if (g.graphPrefix === undefined || (w.host !== undefined && g.host !== undefined && g.host !== w.host)) continue;
      const pg = g.graphPrefix.value;
      if (pg.startsWith(pw) || seen.has(pg)) continue;
      seen.add(pg);
      ctx.findings.add('metric-prefix-mismatch', {
        file: w.metricPrefix.where.file,
        line: w.metricPrefix.where.line,
        message: `go-carbon writes its own metrics locally under "${pg}", which does not start with this webapp's CARBON_METRIC_PREFIX "${pw}": they are hashed like other metrics and mostly not found`,
        fix: `set CARBON_METRIC_PREFIX = "${pg.split('.')[0]}"`,
        related: [g.graphPrefix.where],
      });
    }
  }
}
