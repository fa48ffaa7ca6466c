// Which component talks to which: the linter's model of the cluster. Files are placed on hosts (the
// cluster file's topology:, a directory named after a ring member, or what the file itself names), relays
// are sorted into tiers, and every webapp and tool is paired with the ring it must mirror.
//
// Layouts (configs.md §9 R1, R21):
// - single-tier: one relay ring over all caches (several identical entry relays allowed); each webapp lists
//   the members on its own host(s).
// - two-tier: a top relay picks the host (its members are the per-host relays), a per-host relay picks the
//   instance; each webapp mirrors its host's relay, tools mirror the top relay.
import { basename, dirname, resolve, sep } from 'node:path';
import { cacheProcess, programInstances } from './read/carbon.js';
import type { LintContext } from './context.js';
import type { CarbonProcess, HeldRing, Webapp } from './model.js';
import { isLoopback, mappedServer, onHost, writers, type Layout, type Topology } from './topology-model.js';

export function buildTopology(ctx: LintContext, roots: readonly string[]): Topology {
  const servers = knownServers(ctx);
  const fileHosts = placeFiles(ctx, roots, servers);
  const hostOf = (file: string) => fileHosts.get(file);

  // Hosts of rings, webapps, go-carbons (file first, then what the file itself names).
  for (const r of ctx.rings) {
    if (r.host !== undefined) continue;
    const fh = hostOf(r.file);
    if (fh) {
      r.host = fh.host;
      r.hostWhy = fh.why;
      continue;
    }
    const own = singleServer(r.spec.destinations.map((d) => d.server));
    if (own !== undefined && r.role === 'relay' && r.spec.destinations.length > 1) {
      r.host = own;
      r.hostWhy = `all its ${r.membersName} name ${own}`;
    }
  }
  for (const w of ctx.webapps) {
    const stated = ctx.stated?.webapps.find((e) => e.file === w.file);
    const fh = hostOf(w.file);
    if (stated?.host !== undefined) {
      w.host = stated.host;
      w.hostWhy = `topology in ${ctx.display(ctx.stated!.file)}`;
    } else if (fh) {
      w.host = fh.host;
      w.hostWhy = fh.why;
    } else if (w.ring !== undefined) {
      const own = singleServer(w.ring.spec.destinations.map((d) => d.server));
      if (own !== undefined) {
        w.host = own;
        w.hostWhy = `its CARBONLINK_HOSTS all name ${own}`;
      }
    }
    if (w.ring !== undefined && w.host !== undefined) {
      w.ring.host = w.host;
      w.ring.hostWhy = w.hostWhy ?? '';
    }
  }
  for (const g of ctx.goCarbons) {
    const h = hostOf(g.file)?.host;
    if (g.host === undefined && h !== undefined) g.host = h;
  }
  for (const p of ctx.processes) {
    const h = hostOf(p.file)?.host;
    if (p.host === undefined && h !== undefined) p.host = h;
  }

  // Relay tiers.
  const relays = ctx.rings.filter((r) => r.role === 'relay');
  const statedTier = new Map<HeldRing, 1 | 2>();
  for (const e of ctx.stated?.relays ?? []) {
    for (const r of relays) {
      if (r.file !== e.file || (e.cluster !== undefined && r.section !== e.cluster && r.section !== `relay:${e.cluster}`)) continue;
      if (e.tier !== undefined) statedTier.set(r, e.tier);
      if (e.host !== undefined) {
        r.host = e.host;
        r.hostWhy = `topology in ${ctx.display(ctx.stated!.file)}`;
      }
    }
  }
  const local = (r: HeldRing) => r.spec.destinations.every((d) => isLoopback(d.server) || (r.host !== undefined && d.server === r.host));
  let tier1: HeldRing[] = [];
  const tier2 = new Map<string, HeldRing[]>();
  const addTier2 = (r: HeldRing) => {
    const h = r.host ?? '?';
    if (!tier2.has(h)) tier2.set(h, []);
    tier2.get(h)!.push(r);
  };
  let layout: Layout;
  const statedLayout = ctx.stated?.layout;
  const how: Topology['how'] = statedLayout !== undefined || statedTier.size > 0 ? 'stated' : 'inferred';
  if (statedLayout === 'single-tier') {
    tier1 = relays;
    layout = relays.length > 0 ? 'single-tier' : 'none';
  } else if (statedTier.size > 0 || statedLayout === 'two-tier') {
    for (const r of relays) {
      const t = statedTier.get(r) ?? (local(r) ? 2 : 1);
      if (t === 1) tier1.push(r);
      else addTier2(r);
    }
    layout = tier2.size > 0 ? 'two-tier' : tier1.length > 0 ? 'single-tier' : 'none';
  } else {
    const spanning = relays.filter((r) => !local(r));
    const perHost = relays.filter((r) => local(r) && r.host !== undefined);
    const hostsWithRelay = new Set(perHost.map((r) => r.host!));
    if (spanning.length > 0 && perHost.length > 0 && spanning.some((r) => r.spec.destinations.some((d) => hostsWithRelay.has(d.server)))) {
      layout = 'two-tier';
      tier1 = spanning;
      for (const r of relays) if (!spanning.includes(r)) addTier2(r);
    } else {
      tier1 = spanning.length > 0 ? spanning : relays;
      layout = tier1.length > 0 ? 'single-tier' : 'none';
    }
  }

  // Without a relay, a tool ring stands in as the reference (the cluster file first).
  let referenceIsTool = false;
  if (tier1.length === 0) {
    const order = ['ringshift', 'carbonate', 'buckyd'];
    const tools = ctx.rings.filter((r) => r.role === 'tool').sort((a, b) => order.indexOf(a.holder) - order.indexOf(b.holder));
    if (tools.length > 0) {
      tier1 = [tools[0]!];
      referenceIsTool = true;
    }
  }

  const topo: Topology = {
    layout,
    how,
    tier1,
    tier2,
    referenceIsTool,
    caches: [],
    mirrors: new Map(),
    toolRefs: new Map(),
    servers,
    fileHosts,
  };
  topo.caches = cacheInstances(ctx, topo);
  pairWebapps(ctx, topo);
  pairTools(ctx, topo);
  return topo;
}

function singleServer(list: readonly string[]): string | undefined {
  const s = new Set(list.filter((x) => !isLoopback(x)));
  return s.size === 1 && list.every((x) => !isLoopback(x)) ? [...s][0] : undefined;
}

function knownServers(ctx: LintContext): Set<string> {
  const out = new Set<string>();
  for (const r of ctx.rings) for (const d of r.spec.destinations) if (!isLoopback(d.server)) out.add(d.server);
  for (const h of ctx.stated?.hosts.keys() ?? []) out.add(h);
  for (const w of ctx.webapps) for (const h of w.clusterServers?.hosts ?? []) if (!isLoopback(h.host)) out.add(h.host);
  for (const a of ctx.carbonapis) for (const b of a.backends) if (!isLoopback(b.host)) out.add(b.host);
  return out;
}

const HOST_PARENTS = new Set(['hosts', 'nodes', 'servers', 'machines']);

/** Which host each file is on: stated topology, else a directory named after a server (or under hosts/). */
function placeFiles(ctx: LintContext, roots: readonly string[], servers: Set<string>): Map<string, { host: string; why: string }> {
  const out = new Map<string, { host: string; why: string }>();
  const stops = new Set([resolve(ctx.cwd), ...roots.map((r) => resolve(ctx.cwd, r))]);
  for (const f of ctx.files) {
    const stated = statedHost(ctx, f.path);
    if (stated !== undefined) {
      out.set(f.path, { host: stated, why: `topology.hosts in ${ctx.display(ctx.stated!.file)}` });
      continue;
    }
    let dir = dirname(f.path);
    for (let depth = 0; depth < 6; depth++) {
      const name = basename(dir);
      if (name === '' || dir === dirname(dir)) break;
      const exact = servers.has(name) ? name : [...servers].find((s) => s.startsWith(`${name}.`));
      if (exact !== undefined) {
        out.set(f.path, { host: exact, why: `directory ${name}/` });
        break;
      }
      if (HOST_PARENTS.has(basename(dirname(dir)))) {
        out.set(f.path, { host: name, why: `directory ${basename(dirname(dir))}/${name}/` });
        break;
      }
      if (stops.has(dir)) break;
      dir = dirname(dir);
    }
  }
  return out;
}

function statedHost(ctx: LintContext, path: string): string | undefined {
  if (ctx.stated === undefined) return undefined;
  let best: { host: string; len: number } | undefined;
  for (const [host, e] of ctx.stated.hosts) {
    for (const p of e.paths) {
      if (path === p || path.startsWith(p.endsWith(sep) ? p : p + sep)) {
        if (best === undefined || p.length > best.len) best = { host, len: p.length };
      }
    }
  }
  return best?.host;
}

/**
 * The carbon-cache instances each carbon.conf runs: one per [cache:X] section, plus instance a (the plain
 * [cache]) unless the rings that write to this host name only the section instances.
 */
function cacheInstances(ctx: LintContext, topo: Topology): CarbonProcess[] {
  const out: CarbonProcess[] = [];
  for (const { file, conf } of ctx.carbonConfs) {
    const named = programInstances(conf, 'cache');
    if (named.length === 0) continue;
    const host = topo.fileHosts.get(file)?.host;
    let instances = named;
    const sections = conf.sections.filter((s) => s.startsWith('cache:')).map((s) => s.slice(6));
    if (sections.length > 0 && !sections.includes('a')) {
      const used = new Set(
        writers(topo, host).flatMap((r) => r.spec.destinations.filter((d) => onHost(d.server, host, r)).map((d) => d.instance ?? '')),
      );
      instances = used.size > 0 && [...used].every((i) => sections.includes(i)) ? sections : ['a', ...sections];
    }
    for (const inst of instances) {
      const p = cacheProcess(ctx, file, conf, inst);
      if (p === undefined) continue;
      if (host !== undefined) p.host = host;
      out.push(p);
    }
  }
  return out;
}

function overlap(ring: HeldRing, servers: Set<string>, host: string | undefined): number {
  let n = 0;
  for (const d of ring.spec.destinations) if (servers.has(mappedServer(d.server, ring.host ?? host))) n++;
  return n;
}

function pairWebapps(ctx: LintContext, topo: Topology): void {
  for (const w of ctx.webapps) {
    if (w.ring === undefined) continue;
    const stated = ctx.stated?.webapps.find((e) => e.file === w.file);
    const covered = new Set(w.ring.spec.destinations.map((d) => mappedServer(d.server, w.host)));
    if (stated?.mirrors !== undefined) {
      const ring = ctx.rings.find((r) => r.file === stated.mirrors && r.role !== 'webapp');
      if (ring !== undefined) {
        const perHost = topo.layout === 'two-tier' && !topo.tier1.includes(ring);
        topo.mirrors.set(w, { ring, servers: perHost ? null : covered, why: `topology in ${ctx.display(ctx.stated!.file)}` });
        continue;
      }
      ctx.notes.push(`${w.file}: topology says it mirrors ${stated.mirrors}, which holds no relay ring`);
    }
    if (topo.layout === 'two-tier') {
      const own = w.host !== undefined ? topo.tier2.get(w.host) : undefined;
      if (own !== undefined && own.length > 0) {
        topo.mirrors.set(w, { ring: own[0]!, servers: null, why: `the per-host relay on ${w.host}` });
        continue;
      }
      const best = bestBy([...topo.tier2.values()].flat(), (r) => overlap(r, covered, w.host));
      if (best !== undefined) {
        topo.mirrors.set(w, { ring: best, servers: null, why: 'the per-host relay whose members it shares' });
        continue;
      }
      ctx.notes.push(`${w.file}: two-tier layout, but no per-host relay for this webapp's host (${w.host ?? 'unknown'})`);
      continue;
    }
    if (topo.tier1.length === 0) continue;
    // Most members on the webapp's servers; on a tie, the ring with the most members (the complete one).
    const best =
      bestBy(topo.tier1, (r) => overlap(r, covered, w.host) * 10000 + (overlap(r, covered, w.host) > 0 ? r.spec.destinations.length : 0)) ??
      (topo.tier1.length === 1 ? topo.tier1[0] : undefined);
    if (best === undefined) {
      ctx.notes.push(`${w.file}: shares no server with any relay ring; not compared`);
      continue;
    }
    // A webapp whose host is unknown and that names only loopback addresses cannot be placed on a server.
    const placed = [...covered].some((s) => !isLoopback(s)) || best.spec.destinations.some((d) => isLoopback(d.server));
    const missing = placed ? centralMissing(ctx, w, best, covered) : [];
    if (missing.length > 0) {
      topo.mirrors.set(w, {
        ring: best,
        servers: null,
        why: `every member: with REPLICATION_FACTOR ${w.ring.spec.replication} over several storage hosts it serves the whole ring, and no other webapp lists ${missing.join(', ')}`,
      });
      continue;
    }
    topo.mirrors.set(w, {
      ring: best,
      servers: placed ? covered : new Set(),
      why: w.host !== undefined ? `the members on ${[...covered].join(', ')}` : 'the members on the servers it names',
    });
  }
}

/**
 * A central webapp (not on a storage host) must list every member of the ring: it names several storage
 * hosts and asks for REPLICATION_FACTOR > 1 copies (a webapp serving only some hosts uses 1), and no other
 * linted webapp lists the hosts it lacks. Returns those hosts (none: not a central webapp, or complete).
 */
function centralMissing(ctx: LintContext, w: Webapp, ring: HeldRing, covered: Set<string>): string[] {
  const servers = new Set(ring.spec.destinations.map((d) => mappedServer(d.server, ring.host)));
  const named = [...covered].filter((s) => !isLoopback(s) && servers.has(s));
  if (w.ring!.spec.replication < 2 || named.length < 2 || (w.host !== undefined && servers.has(w.host))) return [];
  const others = new Set<string>();
  for (const o of ctx.webapps) {
    if (o === w) continue;
    if (o.host !== undefined) others.add(o.host);
    for (const d of o.ring?.spec.destinations ?? []) others.add(mappedServer(d.server, o.host));
  }
  const missing = [...servers].filter((s) => !covered.has(s) && !isLoopback(s));
  return missing.length > 0 && missing.every((s) => !others.has(s)) ? missing : [];
}

/**
 * Each tool ring is compared with the reference ring it shares most servers with. Several rings of one file
 * (carbonate clusters, buckyd command lines) are usually different clusters: only the best match of a file
 * is compared with a given reference ([main] first on a tie), and none with a reference from its own file.
 */
function pairTools(ctx: LintContext, topo: Topology): void {
  const candidates: { tool: HeldRing; ref: HeldRing; score: number }[] = [];
  for (const t of ctx.rings.filter((r) => r.role === 'tool')) {
    if (topo.tier1.includes(t)) continue;
    const servers = new Set(t.spec.destinations.map((d) => d.server));
    const refs = topo.tier1.filter((r) => r.file !== t.file);
    const best = bestBy(refs, (r) => overlap(r, servers, undefined));
    if (best !== undefined) candidates.push({ tool: t, ref: best, score: overlap(best, servers, undefined) });
    else if (refs.length > 0)
      ctx.notes.push(`${ctx.display(t.file)}${t.section ? ` [${t.section}]` : ''}: shares no server with any relay ring; not compared`);
  }
  for (const c of candidates) {
    const rivals = candidates.filter((o) => o.tool.file === c.tool.file && o.ref === c.ref);
    const winner = rivals.reduce((a, b) =>
      b.score > a.score || (b.score === a.score && b.tool.section === 'main' && a.tool.section !== 'main') ? b : a,
    );
    if (winner === c) topo.toolRefs.set(c.tool, c.ref);
    else
      ctx.notes.push(
        `${ctx.display(c.tool.file)}${c.tool.section ? ` [${c.tool.section}]` : ''}: not compared (${winner.tool.section ? `[${winner.tool.section}]` : 'another ring'} of the same file mirrors ${ctx.display(c.ref.file)})`,
      );
  }
}

/** The element with the highest positive score; ties go to the first. */
function bestBy<T>(xs: readonly T[], score: (x: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = 0;
  for (const x of xs) {
    const s = score(x);
    if (s > bestScore) {
      best = x;
      bestScore = s;
    }
  }
  return best;
}
