// Ring agreement (configs.md §9): the same members (R1, R17, R21) in the same order (R4), the same hash
// (R2), valid fnv1a_ch instances (R3), collision semantics (R5), replication (R6) and replica placement (R7)
// across the relays, the webapps that mirror them and the tools that model them.
import type { LintContext } from '../context.js';
import type { Destination, HeldRing, Holder, Webapp } from '../model.js';
import { isLoopback, mappedServer, type Mirror, type Topology } from '../topology.js';
import { positionComparison } from '../../ring/analysis/diff.js';
import { compareMembers, hashedIdentity, list, nodeKey, nodeLabel, pct, quantify, quantityText, ringOf } from './compare.js';
import { cacheFor, carbonlinkPortFor, ringProtocol, targetsOn } from './targets.js';

export async function checkRings(ctx: LintContext, topo: Topology): Promise<void> {
  for (const r of ctx.rings) checkFnv1aInstances(ctx, r);
  await compareTier(
    ctx,
    topo.tier1.filter((r) => r.role === 'relay'),
  );
  for (const group of topo.tier2.values()) await compareTier(ctx, group);
  for (const [tool, ref] of topo.toolRefs) await compareTool(ctx, topo, tool, ref);
  for (const [w, m] of topo.mirrors) await compareWebapp(ctx, topo, w, m);
  coverage(ctx, topo);
  collisionSemantics(ctx, topo);
  await replicaPolicy(ctx, topo);
}

const d = (ctx: LintContext, r: HeldRing) => `${r.membersName} in ${ctx.display(r.file)}`;

/** Which program's hashing a holder uses, for messages. */
function holderName(r: HeldRing): string {
  if (r.holder === 'ringshift') return `the cluster file (impl ${r.spec.impl})`;
  return r.holder;
}

function hashName(r: HeldRing): string {
  return r.spec.hash;
}

// ---------------------------------------------------------------------------------------------------------
// R3

/** fnv1a_ch hashes only the instance on the carbon side (instance or host:port on the c-relay side). */
function checkFnv1aInstances(ctx: LintContext, r: HeldRing): void {
  if (r.spec.hash !== 'fnv1a_ch' || memberCount(r) < 2) return;
  const carbonSide = r.spec.impl === 'carbon' || r.spec.impl === 'graphite-web';
  const members = r.spec.destinations;
  const missing = carbonSide ? members.filter((m) => m.instance === null || m.instance === '') : [];
  const byKey = new Map<string, Destination[]>();
  for (const m of members) {
    const k = carbonSide ? (m.instance ?? 'None') : (m.instance ?? `${m.server}:${m.port}`);
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k)!.push(m);
  }
  const shared = [...byKey.entries()].filter(
    ([k, ms]) => !(carbonSide && k === 'None') && new Set(ms.map((m) => `${m.server}:${m.port}`)).size > 1,
  );
  if (missing.length === 0 && shared.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(
      `${missing.length} member${missing.length === 1 ? ' has' : 's have'} no instance (${list(missing.map((m) => `${m.server}:${m.port}`))}), so ${missing.length === 1 ? 'its points hash' : 'their points all hash'} "i-None"`,
    );
  }
  for (const [k, ms] of shared) parts.push(`instance ${JSON.stringify(k)} is shared by ${list(ms.map((m) => `${m.server}:${m.port}`))}`);
  const share = fnvShare(r);
  ctx.findings.add('fnv1a-instances', {
    file: r.members.file,
    line: missing[0]?.line ?? shared[0]?.[1][1]?.line ?? r.members.line,
    message:
      `${holderName(r)} fnv1a_ch hashes ${carbonSide ? 'only the instance' : 'the instance (or host:port)'} of each member, never the server: ${parts.join('; ')}. ` +
      `Nodes with the same key collide point for point and the first one takes them${share}`,
    fix: carbonSide
      ? 'give every member a unique instance; to agree with carbon-c-relay members written without =instance, use host:port as the instance (10.0.0.5:2004:10.0.0.5:2003)'
      : 'give every member a unique =instance (long random strings balance best)',
    related: [r.members],
  });
}

/** " (the busiest member owns N % of the keyspace)", when the ring can be built. */
function fnvShare(r: HeldRing): string {
  const ring = ringOf(r.spec);
  const ps = ring?.positionSpace;
  if (ring === null || ring === undefined || ps === undefined) return '';
  const counts = new Map<string, number>();
  for (let p = 0; p < ps.size; p++) {
    const o = ps.ownersAt(p)[0];
    if (o === undefined) continue;
    const k = `${o.server}:${o.port}:${o.instance}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = Math.max(0, ...counts.values());
  return ` (the busiest member owns ${pct(top / ps.size)} of the keyspace; ${memberCount(r)} members would own ${pct(1 / memberCount(r))} each)`;
}

function memberCount(r: HeldRing): number {
  return new Set(r.spec.destinations.map((m) => `${m.server}:${m.port}:${m.instance}`)).size;
}

// ---------------------------------------------------------------------------------------------------------
// R17 (and R2/R4/R6/R7 between relays of one tier)

async function compareTier(ctx: LintContext, rings: HeldRing[]): Promise<void> {
  const relays = rings.filter((r) => r.holder !== 'carbon-aggregator');
  const aggregators = rings.filter((r) => r.holder === 'carbon-aggregator');
  for (const group of [relays, aggregators]) {
    const sorted = [...group].sort((a, b) => a.file.localeCompare(b.file) || (a.section ?? '').localeCompare(b.section ?? ''));
    const done = new Set<HeldRing>();
    for (const ref of sorted) {
      if (done.has(ref)) continue;
      done.add(ref);
      const refServers = new Set(ref.spec.destinations.map((x) => mappedServer(x.server, ref.host)));
      for (const o of sorted) {
        if (done.has(o)) continue;
        // Clusters of one carbon-c-relay config are deliberately different (one metric can go to several).
        if (o.file === ref.file && o.holder === 'carbon-c-relay') continue;
        if (!o.spec.destinations.some((x) => refServers.has(mappedServer(x.server, o.host)))) continue;
        done.add(o);
        await compareRelays(ctx, ref, o);
      }
    }
  }
}

async function compareRelays(ctx: LintContext, ref: HeldRing, o: HeldRing): Promise<void> {
  const cmp = compareMembers(ref.spec.destinations, ref.spec, o.spec.destinations, o.spec);
  if (!cmp.sameSet) {
    const q = await quantify(ref.spec, o.spec);
    ctx.findings.add('relay-rings-differ', {
      file: o.members.file,
      line: o.members.line,
      message:
        `${o.label.replace(o.file, ctx.display(o.file))} and ${ref.label.replace(ref.file, ctx.display(ref.file))} route to different rings: ${quantityText(q)}; ` +
        memberDelta(ctx, ref, cmp.onlyA, o, cmp.onlyB) +
        '. A metric sent through one relay lands on another node than the same metric sent through the other',
      fix: `give every relay of this tier the same ${o.membersName}: ${list(
        ref.spec.destinations.map((x) => nodeLabel(x, ref.spec)),
        Infinity,
      )} (in this order)`,
      related: [ref.members],
    });
  } else if (!cmp.sameOrder) {
    await orderFinding(ctx, ref, o);
  }
  compareSettings(ctx, ref, o);
}

/** "members only in X (file): a, b; only in Y (file): c". */
function memberDelta(ctx: LintContext, a: HeldRing, onlyA: string[], b: HeldRing, onlyB: string[]): string {
  const same = a.membersName === b.membersName;
  const name = (r: HeldRing) => (same ? ctx.display(r.file) : r.membersName);
  const parts: string[] = [];
  if (onlyA.length > 0) parts.push(`members only in ${name(a)}: ${list(onlyA)}`);
  if (onlyB.length > 0) parts.push(`${parts.length > 0 ? 'only' : 'members only'} in ${name(b)}: ${list(onlyB)}`);
  return parts.join('; ');
}

async function orderFinding(ctx: LintContext, ref: HeldRing, o: HeldRing): Promise<void> {
  const q = await quantify(ref.spec, o.spec);
  const moved =
    q === undefined
      ? ''
      : q.owners === 0
        ? ' Today no key changes owner, but the next member added or a collision can change that'
        : ` Today ${quantityText(q)}`;
  ctx.findings.add('ring-order-mismatch', {
    file: o.members.file,
    line: o.members.line,
    message:
      `${d(ctx, o)} lists the same members as ${d(ctx, ref)} in another order; ` +
      `${ref.spec.hash === 'jump_fnv1a_ch' ? 'jump_fnv1a_ch assigns buckets by position in the list' : 'carbon resolves colliding ring positions in list order'}.${moved}`,
    fix: `list the members in the order of ${d(ctx, ref)}: ${list(
      ref.spec.destinations.map((x) => nodeLabel(x, ref.spec)),
      Infinity,
    )}`,
    related: [ref.members],
  });
}

/** Hash type, replication factor and replica policy of two rings that must be the same ring. */
function compareSettings(ctx: LintContext, ref: HeldRing, o: HeldRing): void {
  if (ref.spec.hash !== o.spec.hash) {
    ctx.findings.add('hash-type-mismatch', {
      file: o.hash.file,
      line: o.hash.line,
      message: `${holderName(o)} hashes with ${hashName(o)} but ${holderName(ref)} (${ctx.display(ref.file)}) hashes with ${hashName(ref)}: they place almost every metric differently`,
      fix: `use ${ref.spec.hash} here (${hashSettingName(o)})`,
      related: [ref.hash],
    });
  }
  if (ref.spec.replication !== o.spec.replication) {
    ctx.findings.add('replication-mismatch', {
      file: o.replication.file,
      line: o.replication.line,
      message: `replication ${o.spec.replication} here but ${ref.spec.replication} in ${ctx.display(ref.file)}: the two place a different number of copies`,
      fix: `set the replication factor to ${ref.spec.replication}`,
      related: [ref.replication],
    });
  } else if (ref.spec.replication >= 2 && ref.spec.diverse !== o.spec.diverse && ref.spec.impl === 'carbon' && o.spec.impl === 'carbon') {
    ctx.findings.add('replica-diversity-mismatch', {
      file: (o.diverse ?? o.replication).file,
      line: (o.diverse ?? o.replication).line,
      message: `DIVERSE_REPLICAS is ${o.spec.diverse ? 'True' : 'False'} here but ${ref.spec.diverse ? 'True' : 'False'} in ${ctx.display(ref.file)}: with replication ${ref.spec.replication} the replicas land on different nodes`,
      fix: `set DIVERSE_REPLICAS = ${ref.spec.diverse ? 'True' : 'False'}`,
      related: [ref.diverse ?? ref.replication],
    });
  }
}

function hashSettingName(r: HeldRing): string {
  switch (r.holder) {
    case 'carbon-relay':
    case 'carbon-aggregator':
      return 'ROUTER_HASH_TYPE';
    case 'graphite-web':
      return 'CARBONLINK_HASHING_TYPE';
    case 'carbonate':
      return 'HASHING_TYPE';
    case 'buckyd':
      return '-hash';
    case 'carbon-c-relay':
      return 'the cluster type';
    case 'carbon-relay-ng':
      return 'the route type';
    case 'ringshift':
      return 'ring.hash';
  }
}

// ---------------------------------------------------------------------------------------------------------
// R1 / R21: tools

async function compareTool(ctx: LintContext, topo: Topology, tool: HeldRing, ref: HeldRing): Promise<void> {
  const cmp = compareMembers(ref.spec.destinations, ref.spec, tool.spec.destinations, tool.spec);
  const refWhat = topo.referenceIsTool
    ? `${holderName(ref)}'s (${d(ctx, ref)}; no relay config was given, so this ring is the reference)`
    : `${holderName(ref)}'s (${d(ctx, ref)})`;
  if (!cmp.sameSet) {
    if (topo.layout === 'two-tier' && modelsTier2(topo, tool)) {
      ctx.findings.add('tool-models-wrong-tier', {
        file: tool.members.file,
        line: tool.members.line,
        message:
          `${d(ctx, tool)} lists the cache instances behind the per-host relays (${list(cmp.onlyB)}), but in this two-tier layout the host of a metric is chosen by ${refWhat}, ` +
          "and the instance by each host's relay: a one-ring model reports metrics as misplaced that are where they belong",
        fix: `model the tier that picks the host: ${tool.membersName} = ${list(
          ref.spec.destinations.map((x) => nodeLabel(x, ref.spec)),
          Infinity,
        )}`,
        related: [ref.members],
      });
    } else {
      const q = await quantify(ref.spec, tool.spec);
      ctx.findings.add('ring-members-mismatch', {
        file: tool.members.file,
        line: tool.members.line,
        message:
          `${holderName(tool)}'s ring differs from ${refWhat}: ${quantityText(q)}; ${memberDelta(ctx, ref, cmp.onlyA, tool, cmp.onlyB)}` +
          (tool.holder === 'carbonate' || tool.holder === 'buckyd' || tool.holder === 'ringshift'
            ? '. Its misplacement reports and moves follow the wrong ring'
            : ''),
        fix:
          `${toolFixPrefix(tool)}${list(
            ref.spec.destinations.map((x) => toolSyntax(x, ref, tool)),
            Infinity,
          )} (the members of ${d(ctx, ref)}, in its order)` + fnvHint(ref, tool),
        related: [ref.members],
      });
    }
  } else if (!cmp.sameOrder) {
    await orderFinding(ctx, ref, tool);
  }
  // Hash, replication, replica policy.
  if (ref.spec.hash !== tool.spec.hash) {
    ctx.findings.add('hash-type-mismatch', {
      file: tool.hash.file,
      line: tool.hash.line,
      message:
        `${holderName(tool)} hashes with ${hashName(tool)} but ${holderName(ref)} (${ctx.display(ref.file)}) hashes with ${hashName(ref)}` +
        (ref.spec.hash === 'jump_fnv1a_ch' && tool.holder === 'carbonate'
          ? ': carbonate has no jump hash at all'
          : ': almost every metric is placed differently'),
      fix:
        ref.spec.hash === 'jump_fnv1a_ch' && tool.holder === 'carbonate'
          ? 'model this ring with buckytools (-hash jump_fnv1a) or ringshift (ring.hash: jump_fnv1a_ch)'
          : `set ${hashSettingName(tool)} to ${toolHash(ref.spec.hash, tool.holder)}`,
      related: [ref.hash],
    });
  }
  if (ref.spec.replication !== tool.spec.replication) {
    const bucky = tool.holder === 'buckyd' && ref.spec.replication > 1;
    ctx.findings.add('replication-mismatch', {
      file: tool.replication.file,
      line: tool.replication.line,
      message: bucky
        ? `the relay keeps ${ref.spec.replication} copies of every metric (${ctx.display(ref.file)}), but buckytools models one owner per metric: it reports every replica as misplaced`
        : `replication ${tool.spec.replication} here but ${ref.spec.replication} in ${ctx.display(ref.file)}: ${tool.spec.replication < ref.spec.replication ? 'replicas look misplaced to this tool' : 'this tool expects copies the relay never writes'}`,
      fix: bucky
        ? 'use a tool that models replication (carbonate, ringshift) for this cluster'
        : `set the replication factor to ${ref.spec.replication}`,
      related: [ref.replication],
    });
  } else if (
    ref.spec.replication >= 2 &&
    (tool.holder === 'carbonate' || tool.holder === 'ringshift') &&
    diverseOf(ref) !== undefined &&
    diverseOf(ref) !== tool.spec.diverse
  ) {
    const quirk =
      tool.diverseText !== undefined && /^(false|0|no|off)$/i.test(tool.diverseText)
        ? ` (carbonate reads DIVERSE_REPLICAS = ${tool.diverseText} with bool() of the string, which is True)`
        : '';
    ctx.findings.add('replica-diversity-mismatch', {
      file: (tool.diverse ?? tool.replication).file,
      line: (tool.diverse ?? tool.replication).line,
      message: `${holderName(tool)} places replicas ${tool.spec.diverse ? 'on distinct hosts' : 'on distinct nodes'}${quirk}, but ${holderName(ref)} (${ctx.display(ref.file)}) places them ${diverseOf(ref) ? 'on distinct hosts' : 'on distinct nodes'}`,
      fix:
        tool.holder === 'carbonate'
          ? diverseOf(ref)
            ? 'remove DIVERSE_REPLICAS (carbonate defaults to diverse)'
            : 'carbonate cannot model DIVERSE_REPLICAS = False (any non-empty value is True); set DIVERSE_REPLICAS = (empty) to get False'
          : `set ring.diverse: ${diverseOf(ref) ? 'true' : 'false'}`,
      related: [ref.diverse ?? ref.replication],
    });
  }
}

function diverseOf(r: HeldRing): boolean | undefined {
  if (r.spec.impl === 'carbon') return r.spec.diverse;
  if (r.spec.impl === 'graphite-web') return true;
  return false;
}

function toolHash(h: string, holder: Holder): string {
  if (holder === 'buckyd') return h === 'carbon_ch' ? 'carbon' : h === 'fnv1a_ch' ? 'fnv1a' : 'jump_fnv1a';
  return h;
}

/** A reference member in the tool's own syntax. */
function toolSyntax(x: Destination, ref: HeldRing, tool: HeldRing): string {
  const id = { ...x };
  if (x.instance === null && ref.spec.hash === 'fnv1a_ch' && (ref.spec.impl === 'carbon-c-relay' || ref.spec.impl === 'bucky')) {
    id.instance = `${x.server}:${x.port}`;
  }
  const host = id.server.includes(':') ? `[${id.server}]` : id.server;
  if (tool.holder === 'buckyd') return id.instance === null ? `${host}:${id.port}` : `${host}:${id.port}=${id.instance}`;
  return id.instance === null ? `${host}:${id.port}` : `${host}:${id.port}:${id.instance}`;
}

function toolFixPrefix(tool: HeldRing): string {
  if (tool.holder === 'carbonate') return 'set DESTINATIONS = ';
  if (tool.holder === 'ringshift') return 'set ring.destinations to ';
  if (tool.holder === 'buckyd') return 'start buckyd with the members ';
  return `set ${tool.membersName} to `;
}

function fnvHint(ref: HeldRing, tool: HeldRing): string {
  if (ref.spec.hash !== 'fnv1a_ch' || ref.spec.impl !== 'carbon-c-relay' || tool.spec.impl !== 'carbon') return '';
  return ' (carbon-c-relay hashes a member without =instance as host:port, so that is the instance carbon must write)';
}

/** The tool lists the cache instances behind the per-host relays instead of the top relay's members. */
function modelsTier2(topo: Topology, tool: HeldRing): boolean {
  const inner = new Set<string>();
  for (const [host, rings] of topo.tier2) {
    for (const r of rings) for (const x of r.spec.destinations) inner.add(`${mappedServer(x.server, r.host ?? host)}\0${x.instance ?? ''}`);
  }
  const mine = tool.spec.destinations.map((x) => `${x.server}\0${x.instance ?? ''}`);
  return mine.length > 0 && mine.filter((k) => inner.has(k)).length * 2 > mine.length;
}

// ---------------------------------------------------------------------------------------------------------
// R1 / R2 / R6 / R21: webapps

async function compareWebapp(ctx: LintContext, topo: Topology, w: Webapp, m: Mirror): Promise<void> {
  const web = w.ring!;
  const ring = m.ring;
  const servers = m.servers;
  const expected =
    servers === null
      ? ring.spec.destinations
      : ring.spec.destinations.filter((x) => servers.has(mappedServer(x.server, ring.host ?? w.host)));
  const cmp = compareMembers(expected, ring.spec, web.spec.destinations, web.spec);
  const full =
    servers === null ||
    new Set(ring.spec.destinations.map((x) => mappedServer(x.server, ring.host ?? w.host))).size ===
      expected.map((x) => x.server).filter((s, i, a) => a.indexOf(s) === i).length;
  const where = w.host !== undefined ? `on ${w.host}` : servers !== null && servers.size > 0 ? `on ${[...servers].join(', ')}` : '';

  if (!cmp.sameSet) {
    if (
      topo.layout === 'two-tier' &&
      topo.tier1.some(
        (t) =>
          compareMembers(
            t.spec.destinations.filter((x) => web.spec.destinations.some((y) => y.server === x.server)),
            t.spec,
            web.spec.destinations,
            web.spec,
          ).sameSet,
      )
    ) {
      ctx.findings.add('tool-models-wrong-tier', {
        file: web.members.file,
        line: web.members.line,
        message: `CARBONLINK_HOSTS lists the top relay's members, but in this two-tier layout the cache instance is chosen by the relay on the host (${d(ctx, ring)})`,
        fix: `list that relay's members with their cache query ports: ${suggestCarbonlink(ctx, topo, ring, ring.spec.destinations, web)}`,
        related: [ring.members],
      });
    } else {
      await carbonlinkMismatch(ctx, topo, w, m, expected, cmp.onlyA, cmp.onlyB, where);
    }
  } else if (!cmp.sameOrder) {
    const q = await quantify({ ...ring.spec, destinations: expected }, web.spec);
    ctx.findings.add('ring-order-mismatch', {
      file: web.members.file,
      line: web.members.line,
      message: `CARBONLINK_HOSTS lists the members of ${d(ctx, ring)} in another order; colliding positions are resolved in list order.${q && q.owners > 0 ? ` Today ${quantityText(q)}` : ' Today no key changes owner'}`,
      fix: `list them in the relay's order: ${suggestCarbonlink(ctx, topo, ring, expected, web)}`,
      related: [ring.members],
    });
  }

  // R2
  if (ring.spec.hash === 'jump_fnv1a_ch') {
    ctx.findings.add('jump-hash-no-webapp', {
      file: web.hash.file,
      line: web.hash.line ?? web.members.line,
      message: `${d(ctx, ring)} is a jump_fnv1a_ch cluster; graphite-web has no jump hash, so carbonlink asks the wrong cache for most metrics and recent points are missing from graphs`,
      fix: 'use carbon_ch or fnv1a_ch for the cluster the webapps mirror, or give this webapp only one cache per host so any ring finds it',
      related: [ring.hash],
    });
  } else if (ring.spec.hash !== web.spec.hash) {
    ctx.findings.add('hash-type-mismatch', {
      file: web.hash.file,
      line: web.hash.line ?? web.members.line,
      message: `CARBONLINK_HASHING_TYPE is ${web.spec.hash}${web.hash.line === null ? ' (the default)' : ''} but ${holderName(ring)} (${ctx.display(ring.file)}) hashes with ${ring.spec.hash}: carbonlink asks the wrong cache and recent points are missing from graphs`,
      fix: `set CARBONLINK_HASHING_TYPE = "${ring.spec.hash}"`,
      related: [ring.hash],
    });
  }

  // R6
  const rw = web.spec.replication;
  const rr = ring.spec.replication;
  if (full && rw > rr) {
    ctx.findings.add('replication-mismatch', {
      file: web.replication.file,
      line: web.replication.line ?? web.members.line,
      message: `REPLICATION_FACTOR = ${rw} but the relay keeps ${rr} cop${rr === 1 ? 'y' : 'ies'} (${ctx.display(ring.file)}): graphite-web picks ${rw} servers and queries one at random, some of which never got the metric`,
      fix: `set REPLICATION_FACTOR = ${rr}`,
      related: [ring.replication],
    });
  } else if (full && rw < rr) {
    ctx.findings.add('replication-mismatch', {
      file: web.replication.file,
      line: web.replication.line ?? web.members.line,
      severity: 'warning',
      message: `REPLICATION_FACTOR = ${rw} but the relay keeps ${rr} copies (${ctx.display(ring.file)}): carbonlink always asks the first copy and never falls back to a replica`,
      fix: `set REPLICATION_FACTOR = ${rr}`,
      related: [ring.replication],
    });
  } else if (!full && rw > 1) {
    ctx.findings.add('replication-mismatch', {
      file: web.replication.file,
      line: web.replication.line ?? web.members.line,
      message:
        `REPLICATION_FACTOR = ${rw}, but CARBONLINK_HOSTS lists only some of the relay's servers (${list([...new Set(web.spec.destinations.map((x) => x.server))])}): ` +
        `graphite-web picks ${rw} of them and queries one at random, and a metric whose other copy lives elsewhere is then looked up where it is not`,
      fix: 'set REPLICATION_FACTOR = 1: the ring restricted to these servers finds the copy they hold',
      related: [ring.replication],
    });
  }
}

async function carbonlinkMismatch(
  ctx: LintContext,
  topo: Topology,
  w: Webapp,
  m: Mirror,
  expected: Destination[],
  onlyRelay: string[],
  onlyWeb: string[],
  where: string,
): Promise<void> {
  const web = w.ring!;
  const ring = m.ring;
  const loopbackOnly =
    web.spec.destinations.every((x) => isLoopback(x.server)) && !ring.spec.destinations.some((x) => isLoopback(x.server));
  const host = expected.length > 0 ? singleHost(expected.map((x) => mappedServer(x.server, ring.host ?? w.host))) : undefined;
  const parts: string[] = [];
  if (expected.length === 0 && loopbackOnly) {
    parts.push(
      `CARBONLINK_HOSTS names only ${list([...new Set(web.spec.destinations.map((x) => x.server))])}, which is no member of ${d(ctx, ring)}: ` +
        `the relay's ring keys are ${list([...new Set(ring.spec.destinations.map((x) => x.server))])}, and ring keys are strings, not addresses`,
    );
  } else {
    parts.push(`CARBONLINK_HOSTS does not match the members ${where} that ${d(ctx, ring)} lists`);
    if (onlyRelay.length > 0) parts.push(`members only in ${ring.membersName}: ${list(onlyRelay)}`);
    if (onlyWeb.length > 0) parts.push(`only in CARBONLINK_HOSTS: ${list(onlyWeb)}`);
    if (
      host !== undefined &&
      web.spec.destinations.some((x) => isLoopback(x.server)) &&
      !ring.spec.destinations.some((x) => isLoopback(x.server))
    ) {
      parts.push(
        `it writes ${[...new Set(web.spec.destinations.filter((x) => isLoopback(x.server)).map((x) => x.server))].join(', ')} where the relay writes ${host}: ring keys are strings, not addresses`,
      );
    }
  }
  let severity: 'error' | 'warning' = 'error';
  if (host !== undefined) {
    const share = wrongInstanceShare(ctx, topo, ring, web, host, w.host);
    if (share !== undefined) {
      if (share === 0) {
        severity = 'warning';
        parts.push(
          `today every lookup still reaches the right cache (${host} runs one instance in this ring); it breaks when a second instance is added`,
        );
      } else {
        parts.push(
          `graphite-web looks up ${pct(share)} of the keys stored on ${host} on another cache instance than the relay wrote them to, so their unflushed points are missing from graphs`,
        );
      }
    }
  } else if (!loopbackOnly) {
    const q = await quantify({ ...ring.spec, destinations: expected.length > 0 ? expected : ring.spec.destinations }, web.spec);
    if (q !== undefined) parts.push(quantityText(q));
  }
  const fixList = expected.length > 0 ? suggestCarbonlink(ctx, topo, ring, expected, web) : undefined;
  ctx.findings.add('carbonlink-members-mismatch', {
    file: web.members.file,
    line: web.members.line,
    severity,
    message: parts.join('; '),
    fix:
      fixList !== undefined
        ? `set CARBONLINK_HOSTS = ${fixList}`
        : `name the caches exactly as ${ring.membersName} does (${list([...new Set(ring.spec.destinations.map((x) => x.server))])}); to check which ones, put this file in a directory named after its host or state its host under topology.webapps in the cluster file`,
    related: [ring.members],
  });
}

function singleHost(xs: string[]): string | undefined {
  const s = new Set(xs);
  return s.size === 1 ? [...s][0] : undefined;
}

/** A CARBONLINK_HOSTS literal for these relay members, with the cache query ports the configs give. */
function suggestCarbonlink(ctx: LintContext, topo: Topology, ring: HeldRing, members: readonly Destination[], web: HeldRing): string {
  const items = members.map((x) => {
    const id = hashedIdentity(x, ring.spec);
    const port =
      carbonlinkPortFor(ctx, topo, ring, x) ??
      web.spec.destinations.find((y) => y.instance === id.instance && (y.server === x.server || isLoopback(y.server)))?.port ??
      7002;
    const host = x.server.includes(':') ? `[${x.server}]` : x.server;
    return `"${host}:${port}${id.instance === null ? '' : `:${id.instance}`}"`;
  });
  return `[${items.join(', ')}]`;
}

/**
 * Of the keys the relay stores on `host` (any replica there), the share graphite-web looks up on another
 * cache: exact over the 16-bit keyspace when both rings hash to it (for fnv1a: ASCII keys). A node is
 * resolved to the cache process it reaches when the host's carbon.conf is linted (relay side by receiver
 * port, webapp side by cache query port), else matched by instance name (loopback = the webapp's host).
 */
function wrongInstanceShare(
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

/** R1: every member of a mirrored ring is listed by some webapp. */
function coverage(ctx: LintContext, topo: Topology): void {
  const byRing = new Map<HeldRing, Webapp[]>();
  for (const [w, m] of topo.mirrors) {
    if (!byRing.has(m.ring)) byRing.set(m.ring, []);
    byRing.get(m.ring)!.push(w);
  }
  for (const [ring, webapps] of byRing) {
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
    ctx.findings.add('carbonlink-members-mismatch', {
      file: ring.members.file,
      line: ring.members.line,
      severity: 'warning',
      message:
        `no webapp among the linted files lists the caches on ${list(uncovered)} in CARBONLINK_HOSTS (webapps: ${list(webapps.map((w) => ctx.display(w.file)))}): ` +
        'points still in those caches are not visible until flushed',
      fix: `give the webapp on ${list(uncovered)} the members of ${ring.membersName} on its host (or add its local_settings.py to the linted files)`,
      related: webapps.map((w) => w.ring!.members),
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// R5

const BUMP: ReadonlySet<string> = new Set(['carbon', 'graphite-web']);

function collisionSemantics(ctx: LintContext, topo: Topology): void {
  const refs = [...topo.tier1, ...[...topo.tier2.values()].flat()];
  for (const ref of refs) {
    if (ref.spec.hash !== 'carbon_ch') continue;
    const holders: HeldRing[] = [ref];
    for (const [w, m] of topo.mirrors) if (m.ring === ref) holders.push(w.ring!);
    for (const [t, r] of topo.toolRefs)
      if (r === ref && compareMembers(ref.spec.destinations, ref.spec, t.spec.destinations, t.spec).sameSet) holders.push(t);
    for (const o of refs)
      if (o !== ref && o.spec.hash === 'carbon_ch' && compareMembers(ref.spec.destinations, ref.spec, o.spec.destinations, o.spec).sameSet)
        holders.push(o);
    const bump = holders.filter((h) => BUMP.has(h.spec.impl));
    const plain = holders.filter((h) => !BUMP.has(h.spec.impl));
    if (bump.length === 0 || plain.length === 0) continue;
    const a = ringOf({ ...ref.spec, impl: 'carbon', replication: 1, diverse: true });
    const b = ringOf({ ...ref.spec, impl: plain[0]!.spec.impl, replication: 1, diverse: false });
    const pa = a?.positionSpace;
    const pb = b?.positionSpace;
    if (pa === undefined || pb === undefined) continue;
    const ranges: [number, number][] = [];
    let count = 0;
    for (let p = 0; p < pa.size; p++) {
      const x = pa.ownersAt(p)[0];
      const y = pb.ownersAt(p)[0];
      if (x === undefined || y === undefined || (x.server === y.server && x.instance === y.instance)) continue;
      count++;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[1] === p - 1) last[1] = p;
      else ranges.push([p, p]);
    }
    if (count === 0) continue;
    const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
    const shown = ranges.slice(0, 4).map(([s, e]) => (s === e ? hex(s) : `${hex(s)}–${hex(e)}`));
    const who = (hs: HeldRing[]) => {
      const byHolder = new Map<string, string[]>();
      for (const h of hs) byHolder.set(h.holder, [...(byHolder.get(h.holder) ?? []), ctx.display(h.file)]);
      return [...byHolder].map(([holder, files]) => `${holder} (${list([...new Set(files)], 3)})`).join(' and ');
    };
    ctx.findings.add('collision-semantics', {
      file: ref.members.file,
      line: ref.members.line,
      message:
        `this carbon_ch ring is modelled by ${who(bump)}, which bump a colliding ring position to the next free one, and by ${who(plain)}, which keep the first-sorted member: ` +
        `${count} of ${pa.size} key positions (${pct(count / pa.size)}) get another primary owner, in ${ranges.length} range${ranges.length === 1 ? '' : 's'} (${shown.join(', ')}${ranges.length > 4 ? ', …' : ''})`,
      fix: 'route and read with one family (carbon-relay + graphite-web + carbonate, or carbon-c-relay + buckytools), or rename an instance so no two members share a ring position',
      related: holders.filter((h) => h !== ref).map((h) => h.members),
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// R7

async function replicaPolicy(ctx: LintContext, topo: Topology): Promise<void> {
  const refs = [...topo.tier1, ...[...topo.tier2.values()].flat()];
  for (const ref of refs) {
    if (ref.spec.replication < 2) continue;
    const mirrored = [...topo.mirrors].filter(([, m]) => m.ring === ref).map(([w]) => w);
    if (ref.spec.impl === 'carbon-c-relay' || ref.spec.impl === 'bucky') {
      const perHost = new Map<string, number>();
      for (const x of ref.spec.destinations)
        perHost.set(mappedServer(x.server, ref.host), (perHost.get(mappedServer(x.server, ref.host)) ?? 0) + 1);
      const multi = [...perHost].filter(([, n]) => n > 1).map(([h]) => h);
      if (multi.length > 0) {
        ctx.findings.add('replica-diversity-mismatch', {
          file: ref.replication.file,
          line: ref.replication.line,
          message:
            `${holderName(ref)} with replication ${ref.spec.replication} picks distinct servers (host:port), never distinct hosts: ${list(multi)} run${multi.length === 1 ? 's' : ''} several members, ` +
            'so both copies of a metric can land on one machine' +
            (mirrored.length > 0 ? ', and graphite-web (always host-diverse) then looks for the second copy elsewhere' : ''),
          fix: 'give each host one member of this cluster (one relay per host in front of its instances), or accept single-machine replicas',
          related: mirrored.map((w) => w.ring!.members),
        });
      }
    } else if (ref.spec.impl === 'carbon' && !ref.spec.diverse && mirrored.length > 0) {
      const q = await quantify({ ...ref.spec, impl: 'graphite-web', diverse: true }, ref.spec);
      ctx.findings.add('replica-diversity-mismatch', {
        file: (ref.diverse ?? ref.replication).file,
        line: (ref.diverse ?? ref.replication).line,
        message:
          `DIVERSE_REPLICAS = False places replicas on distinct nodes, but graphite-web always picks distinct hosts` +
          (q !== undefined && q.owners > 0 ? `: the owner sets differ for ${pct(q.owners)} of the keyspace` : '') +
          ` (webapps: ${list(mirrored.map((w) => ctx.display(w.file)))})`,
        fix: 'set DIVERSE_REPLICAS = True (and move the replicas it changes)',
        related: mirrored.map((w) => w.ring!.members),
      });
    }
  }
}
