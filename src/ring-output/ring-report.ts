// Text and JSON renderings of `ring show` and `ring diff` reports. Shares are fractions 0..1 in JSON and
// percentages in text.
import { alignColumns } from '../output/table.js';
import { formatPercent } from '../units.js';
import type { RingSpec } from '../ring/types.js';
import type { Flow, NodeShareDiff, RingDiff } from '../ring/analysis/diff.js';
import type { Imbalance, NameDistribution, ShareReport } from '../ring/analysis/share.js';

/** Shares in text: three fixed decimals so columns line up. */
function pct(x: number, digits = 3): string {
  return formatPercent(x, digits);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The ring settings as JSON. */
export function specJson(spec: RingSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {
    impl: spec.impl,
    hash: spec.hash,
    router: spec.router,
    replication: spec.replication,
    diverse: spec.diverse,
    tagRelayNormalized: spec.tagRelayNormalized,
    sanitize: spec.sanitize,
    destinations: spec.destinations.length,
  };
  if (spec.origin?.file !== undefined) out.source = spec.origin.file;
  if (spec.origin?.cluster !== undefined) out.cluster = spec.origin.cluster;
  return out;
}

function methodText(
  r: { method: string; total?: number | undefined; positionFn?: string | undefined; standardError?: number | undefined },
  verb = 'enumerated',
): string {
  if (r.method === 'positions') return `exact, all ${count(r.total ?? 0)} positions ${verb} (${r.positionFn})`;
  if (r.method === 'jump') return 'exact, jump consistent hash gives each member 1/n by construction';
  return `estimate over ${count(r.total ?? 0)} sampled keys, standard error <= ${pct(r.standardError ?? 0, 3)}`;
}

function imbalanceText(label: string, im: Imbalance): string {
  return (
    `${label}: min ${pct(im.min)}, max ${pct(im.max)}, stddev ${(im.stddev * 100).toFixed(3)} pp, ` +
    `max/mean ${im.maxOverMean.toFixed(3)}`
  );
}

/** `ring show` as JSON. */
export function showJson(spec: RingSpec, r: ShareReport, names?: NameDistribution): Record<string, unknown> {
  const rf = r.replication > 1;
  const byId = new Map(names?.members.map((m) => [m.id, m]));
  const out: Record<string, unknown> = {
    ring: specJson(spec),
    exact: r.exact,
    method: r.method,
  };
  if (r.method === 'positions') {
    out.positions = r.total;
    out.positionFn = r.positionFn;
  }
  if (r.method === 'sample') {
    out.sample = r.total;
    out.standardError = r.standardError;
  }
  out.members = r.members.map((m) => {
    const row: Record<string, unknown> = {
      server: m.member.server,
      port: m.member.port,
      instance: m.member.instance,
      share: m.primary,
    };
    if (rf) row.anyShare = m.any;
    if (names) {
      const n = byId.get(m.id);
      row.names = n?.primary ?? 0;
      if (rf) row.anyNames = n?.any ?? 0;
    }
    return row;
  });
  out.imbalance = r.imbalance;
  if (r.anyImbalance) out.anyImbalance = r.anyImbalance;
  if (names) out.metrics = { total: names.total, dropped: names.dropped, errors: names.errors };
  return out;
}

/** `ring show` as text lines. */
export function showText(ringLine: string, r: ShareReport, names?: NameDistribution, byName?: string): string[] {
  if (byName !== undefined && names !== undefined) return byNameText(ringLine, byName, names);
  const rf = r.replication > 1;
  const byId = new Map(names?.members.map((m) => [m.id, m]));
  const placed = names ? names.total - names.dropped - names.errors : 0;
  const head = ['member', rf ? 'primary' : 'share'];
  if (rf) head.push('any replica');
  if (names) head.push('names', 'names %');
  if (names && rf) head.push('any replica');
  const rows: string[][] = [head];
  for (const m of r.members) {
    const row = [m.id, pct(m.primary)];
    if (rf) row.push(pct(m.any));
    if (names) {
      const n = byId.get(m.id);
      row.push(count(n?.primary ?? 0), pct(placed > 0 ? (n?.primary ?? 0) / placed : 0, 2));
      if (rf) row.push(count(n?.any ?? 0));
    }
    rows.push(row);
  }
  const lines = [`ring: ${ringLine}`, `shares: ${methodText(r)}`, '', ...alignColumns(rows), ''];
  lines.push(imbalanceText(rf ? 'imbalance (primary)' : 'imbalance', r.imbalance));
  if (r.anyImbalance) lines.push(imbalanceText('imbalance (any replica)', r.anyImbalance));
  if (names) {
    let line = `names: ${count(names.total)}`;
    if (names.dropped > 0) line += `, ${count(names.dropped)} dropped by the relay`;
    if (names.errors > 0) line += `, ${count(names.errors)} not placeable`;
    lines.push(line);
  }
  return lines;
}

/**
 * `ring show -f` for a placement that depends on the name itself (rules, topic bindings, route tables):
 * no keyspace shares, only how the given names spread (a name may reach several members, or none).
 */
function byNameText(ringLine: string, why: string, names: NameDistribution): string[] {
  const placed = names.total - names.dropped - names.errors;
  const rows: string[][] = [['member', 'names', 'names %']];
  for (const m of names.members) rows.push([m.id, count(m.any), pct(placed > 0 ? m.any / placed : 0, 2)]);
  const lines = [`ring: ${ringLine}`, `shares: none of the keyspace (${why}); counted on the names given`, '', ...alignColumns(rows), ''];
  let line = `names: ${count(names.total)}`;
  if (names.dropped > 0) line += `, ${count(names.dropped)} dropped by the relay`;
  if (names.errors > 0) line += `, ${count(names.errors)} not placeable`;
  lines.push(line);
  return lines;
}

function flowsJson<T>(flows: Flow<T>[], key: string): Record<string, unknown>[] {
  return flows.map((f) => ({ from: f.from, to: f.to, [key]: f.amount }));
}

/** `ring diff` as JSON (shares are fractions of the keyspace; metric figures are name counts). */
export function diffJson(fromSpec: RingSpec, toSpec: RingSpec, d: RingDiff): Record<string, unknown> {
  const out: Record<string, unknown> = {
    exact: d.exact,
    method: d.method,
  };
  if (d.method === 'positions') {
    out.positions = d.keyspace.total;
    out.positionFn = d.positionFn;
  } else {
    out.sample = d.keyspace.total;
    out.standardError = d.standardError;
  }
  if (d.caveat !== undefined) out.caveat = d.caveat;
  out.from = specJson(fromSpec);
  out.to = specJson(toSpec);
  out.match = d.match;
  out.keyspace = {
    ownersChanged: d.keyspace.ownersChanged,
    primaryChanged: d.keyspace.primaryChanged,
    ownerSetChanged: d.keyspace.ownerSetChanged,
  };
  out.members = d.keyspace.nodes;
  out.onlyFrom = d.onlyFrom;
  out.onlyTo = d.onlyTo;
  out.flows = flowsJson(d.keyspace.flows, 'share');
  if (d.metrics) {
    const m = d.metrics;
    out.metrics = {
      total: m.total,
      ownersChanged: m.ownersChanged,
      primaryChanged: m.primaryChanged,
      ownerSetChanged: m.ownerSetChanged,
      dropped: { from: m.droppedFrom, to: m.droppedTo },
      errors: { from: m.errorsFrom, to: m.errorsTo },
      members: m.nodes,
      flows: flowsJson(m.flows, 'count'),
    };
  }
  return out;
}

const MAX_TEXT_FLOWS = 20;

/** `ring diff` as text lines; `showAny` adds the any-replica columns (either ring has replication > 1). */
export function diffText(fromLine: string, toLine: string, d: RingDiff, showAny: boolean): string[] {
  const lines = [`from: ${fromLine}`, `to:   ${toLine}`, `nodes ${d.match.reason}`];
  if (d.onlyFrom.length > 0) lines.push(`only in --from: ${d.onlyFrom.join(', ')}`);
  if (d.onlyTo.length > 0) lines.push(`only in --to:   ${d.onlyTo.join(', ')}`);
  const k = d.keyspace;
  lines.push('');
  lines.push(
    `keyspace: ${methodText({ ...d, total: k.total }, 'compared')}`,
    `  owner list changed ${pct(k.ownersChanged)}, primary changed ${pct(k.primaryChanged)}` +
      (k.ownerSetChanged !== k.ownersChanged ? `, owner set changed ${pct(k.ownerSetChanged)}` : ''),
  );
  if (d.caveat !== undefined) lines.push(`  note: ${d.caveat}`);
  const head = showAny ? ['node', 'primary before', 'after', 'any before', 'after'] : ['node', 'share before', 'after'];
  const row = (n: NodeShareDiff, f: (x: number) => string): string[] =>
    showAny
      ? [n.node, f(n.primaryBefore), f(n.primaryAfter), f(n.anyBefore), f(n.anyAfter)]
      : [n.node, f(n.primaryBefore), f(n.primaryAfter)];
  lines.push('', ...alignColumns([head, ...k.nodes.map((n) => row(n, (x) => pct(x)))]));
  lines.push('', ...flowText(k.flows, 'primary flows (share of the keyspace)', (x) => pct(x)));
  if (d.metrics) {
    const m = d.metrics;
    const of = (x: number): string => `${count(x)} (${pct(m.total > 0 ? x / m.total : 0)})`;
    lines.push('', `names: ${count(m.total)}, counted exactly`);
    lines.push(
      `  owner list changed ${of(m.ownersChanged)}, primary changed ${of(m.primaryChanged)}` +
        (m.ownerSetChanged !== m.ownersChanged ? `, owner set changed ${of(m.ownerSetChanged)}` : ''),
    );
    if (m.droppedFrom + m.droppedTo > 0)
      lines.push(`  dropped by the relay: ${count(m.droppedFrom)} in --from, ${count(m.droppedTo)} in --to`);
    if (m.errorsFrom + m.errorsTo > 0) lines.push(`  not placeable: ${count(m.errorsFrom)} in --from, ${count(m.errorsTo)} in --to`);
    const mhead = showAny ? head : ['node', 'names before', 'after'];
    lines.push('', ...alignColumns([mhead, ...m.nodes.map((n) => row(n, count))]));
    lines.push('', ...flowText(m.flows, 'primary flows (names)', count));
  }
  return lines;
}

function flowText(flows: Flow<number>[], title: string, fmt: (x: number) => string): string[] {
  if (flows.length === 0) return [`${title}: none`];
  const rows = flows.slice(0, MAX_TEXT_FLOWS).map((f) => [`  ${f.from ?? '(dropped)'}`, '->', f.to ?? '(dropped)', fmt(f.amount)]);
  const out = [`${title}:`, ...alignColumns(rows)];
  if (flows.length > MAX_TEXT_FLOWS) out.push(`  … ${flows.length - MAX_TEXT_FLOWS} more (--json lists all)`);
  return out;
}
