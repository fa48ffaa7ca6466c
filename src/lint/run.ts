// lintPaths: read every config under the given paths, model the cluster, run the rules. A file a program
// would refuse becomes a finding with the parser's file:line and reason; nothing here throws for bad
// configs (only for a PATH that does not exist, which is a usage error).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { memberId } from '../ring/types.js';
import { newContext, type DiagnosticRoute, type DiagnosticRoutes, type LintContext } from './context.js';
import { collectFiles, displayPath, type Collected } from './files.js';
import type { LintFile } from './model.js';
import { readAggregationRulesFile, readCarbonConf, readRelayRulesFile, readRewriteRulesFile, resolveRulesRelays } from './read/carbon.js';
import { readClusterFile } from './read/cluster.js';
import { readCrelay } from './read/crelay.js';
import { readCarbonApi, readGoCarbon } from './read/gocarbon.js';
import { readRelayng } from './read/relayng.js';
import { readBuckyd, readCarbonate } from './read/tools.js';
import { readWebapp } from './read/webapp.js';
import { applyEdits } from './fix-edits.js';
import { sortFindings, summarize, type FixEdit, type LintFinding, type LintReport } from './lint-finding.js';
import { catalogueFinding, RULES, type RuleId } from './rule-catalogue.js';
import type { RuleMeta } from './rule-meta.js';
import { reportInternalError } from './rules/config-unparseable.js';
import { buildTopology } from './topology.js';
import type { Topology } from './topology-model.js';

export interface LintOptions {
  /** Directory paths are resolved against and shown relative to (default process.cwd()). */
  cwd?: string;
  /** A cluster file whose topology: (and ring) apply, whether or not it is under PATHs. */
  cluster?: string;
  /** Environment for local_settings.py lookups, GRAPHITE_ROOT, carbon-relay-ng ${GRAFANA_NET_*}. */
  env?: Readonly<Record<string, string>>;
}

export interface LintResult {
  report: LintReport<RuleId>;
  /** What was read and inferred, for --explain. */
  explain: string[];
}

export async function lintPaths(paths: readonly string[], opts: LintOptions = {}): Promise<LintResult> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (paths.length === 0) throw new UsageError('nothing to lint: give config files or directories');
  const collected = await collectFiles(paths, cwd);
  const files = collected.files;
  let clusterAbs: string | undefined;
  if (opts.cluster !== undefined) {
    clusterAbs = resolve(cwd, opts.cluster);
    if (!files.some((f) => f.path === clusterAbs)) {
      let text: string;
      try {
        text = await readFile(clusterAbs, 'utf8');
      } catch {
        throw new UsageError(`--cluster: no such file: ${opts.cluster}`);
      }
      files.push({ path: clusterAbs, display: displayPath(clusterAbs, cwd), kind: 'cluster-file', text, why: '--cluster', explicit: true });
    } else {
      for (const f of files) if (f.path === clusterAbs) f.kind = 'cluster-file';
    }
  }
  const ctx = newContext(cwd, opts.env ?? {}, files, diagnosticRoutes());
  readAll(ctx, files, clusterAbs);
  resolveRulesRelays(ctx);
  ctx.unrecognized.push(...collected.unrecognized);
  const topo = buildTopology(ctx, paths);
  for (const edits of ctx.deferredEdits) edits(topo);
  for (const rule of RULES) {
    if (rule.check === undefined) continue;
    try {
      await rule.check(ctx, topo);
    } catch (e) {
      // A bug in one rule must not hide the others' findings (or crash a CI job).
      if (e instanceof UsageError) throw e;
      reportInternalError(ctx, files[0]?.path ?? cwd, `the ${rule.meta.id} check`, e);
    }
  }

  const findings = sortFindings(ctx.findings.items.map((f) => catalogueFinding(relativize(checkEdits(outer(f, files)), cwd))));
  return { report: { findings, summary: summarize(findings, files.length) }, explain: explain(ctx, topo, collected) };
}

function readAll(ctx: LintContext, files: LintFile[], clusterAbs: string | undefined): void {
  // Cluster files first: their topology places the other files.
  const order: LintFile['kind'][] = ['cluster-file'];
  for (const f of files.filter((x) => order.includes(x.kind))) readClusterFile(ctx, f, f.path === clusterAbs);
  for (const f of files) {
    const before = ctx.findings.items.length;
    try {
      readOne(ctx, f);
    } catch (e) {
      reportInternalError(ctx, f.path, 'reading this file', e);
    }
    const hint = /\{\{[^}]*\}\}|\{%[^%]*%\}/.test(f.text)
      ? ' (the file contains {{ … }} template placeholders: lint the rendered config)'
      : /\.(out|tst|dbg|log)$/i.test(f.path)
        ? ' (the file name says it is program output, not a config)'
        : '';
    if (hint !== '') {
      for (const x of ctx.findings.items.slice(before)) if (x.rule === 'config-unparseable' && x.file === f.path) x.message += hint;
    }
  }
}

/** Which rule reports which parser diagnostic, from the rule modules. */
function diagnosticRoutes(): DiagnosticRoutes {
  const routes = new Map<string, { meta: RuleMeta; route: DiagnosticRoute }>();
  for (const rule of RULES) {
    for (const route of rule.diagnostics ?? []) {
      const key = route.source === '*' ? '*' : `${route.source}\0${route.code}`;
      if (routes.has(key)) throw new Error(`lint rules ${routes.get(key)!.meta.id} and ${rule.meta.id} both claim diagnostic ${key}`);
      routes.set(key, { meta: rule.meta, route });
    }
  }
  return routes;
}

function readOne(ctx: LintContext, f: LintFile): void {
  switch (f.kind) {
    case 'cluster-file':
      break;
    case 'carbon-conf':
      readCarbonConf(ctx, f);
      break;
    case 'relay-rules':
      readRelayRulesFile(ctx, f);
      break;
    case 'aggregation-rules':
      readAggregationRulesFile(ctx, f);
      break;
    case 'rewrite-rules':
      readRewriteRulesFile(ctx, f);
      break;
    case 'local-settings':
      readWebapp(ctx, f);
      break;
    case 'crelay':
      readCrelay(ctx, f);
      break;
    case 'relayng':
      readRelayng(ctx, f);
      break;
    case 'carbonate':
      readCarbonate(ctx, f);
      break;
    case 'buckyd':
      readBuckyd(ctx, f);
      break;
    case 'go-carbon':
      readGoCarbon(ctx, f);
      break;
    case 'carbonapi':
      readCarbonApi(ctx, f);
      break;
    case 'storage-schemas':
    case 'storage-aggregation':
      break; // compared across hosts (R19)
  }
}

/** Findings inside a config embedded in another file (ConfigMap data) point into that file. */
function outer(f: LintFinding, files: LintFile[]): LintFinding {
  const map = (file: string, line: number | null): { file: string; line: number | null } => {
    const e = files.find((x) => x.path === file)?.embedded;
    return e === undefined ? { file, line } : { file: e.outer, line: line === null ? null : line + e.lineOffset };
  };
  const out: LintFinding = { ...f, ...map(f.file, f.line) };
  if (f.related !== undefined) out.related = f.related.map((r) => map(r.file, r.line));
  if (f.edits !== undefined) {
    const edits = f.edits.map((e) => ({ ...e, ...map(e.file, e.line) }) as FixEdit);
    out.edits = edits;
  }
  return out;
}

/** Edits that do not apply to the files as they are on disk are not offered (the finding keeps its words). */
function checkEdits(f: LintFinding): LintFinding {
  if (f.edits === undefined) return f;
  const byFile = new Map<string, FixEdit[]>();
  for (const e of f.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const located: FixEdit[] = [];
  try {
    for (const [file, edits] of byFile) {
      const text = readFileSync(file, 'utf8');
      applyEdits(text, edits);
      const lines = text.split('\n');
      for (const e of edits) {
        const start = lines.slice(0, e.line - 1).reduce((n, l) => n + l.length + 1, 0);
        located.push({ ...e, column: text.indexOf(e.old, start) - start + 1 });
      }
    }
  } catch {
    const { edits: _dropped, ...rest } = f;
    return rest;
  }
  return { ...f, edits: located };
}

/** Absolute paths below the working directory are shown relative to it, in fields and in messages. */
function relativize(f: LintFinding, cwd: string): LintFinding {
  const rel = (p: string) => displayPath(p, cwd);
  const text = (s: string) => s.split(`${cwd}/`).join('');
  const out: LintFinding = { ...f, file: rel(f.file), message: text(f.message) };
  if (f.fix !== undefined) out.fix = text(f.fix);
  if (f.edits !== undefined) out.edits = f.edits.map((e) => ({ ...e, file: rel(e.file) }));
  if (f.related !== undefined) out.related = f.related.map((r) => ({ file: rel(r.file), line: r.line }));
  return out;
}

function explain(ctx: LintContext, topo: Topology, collected: Collected): string[] {
  const d = ctx.display;
  const out: string[] = [];
  out.push(`Files (${ctx.files.length}):`);
  for (const f of ctx.files) {
    const host = topo.fileHosts.get(f.path);
    out.push(`  ${f.display}: ${f.kind} (${f.why})${host ? `; on ${host.host} (${host.why})` : ''}`);
  }
  if (collected.skipped.length > 0) {
    out.push(`Skipped (${collected.skipped.length}):`);
    for (const s of collected.skipped) out.push(`  ${s.display}: ${s.reason}`);
  }
  out.push(
    `Layout: ${topo.layout}${topo.layout === 'none' ? ' (no relay ring)' : ''} (${topo.how}${topo.how === 'stated' && ctx.stated ? ` in ${d(ctx.stated.file)}` : ''})`,
  );
  const ring = (r: (typeof topo.tier1)[number]) =>
    `${r.label.replace(r.file, d(r.file))}: ${r.holder}, ${r.spec.hash}, replication ${r.spec.replication}, ${r.spec.destinations.length} member${r.spec.destinations.length === 1 ? '' : 's'} ` +
    `(${r.spec.destinations
      .slice(0, 8)
      .map((x) => memberId(x))
      .join(
        ', ',
      )}${r.spec.destinations.length > 8 ? ', …' : ''})${r.host ? `; on ${r.host}` : ''}${r.approximate ? `; approximate: ${r.approximate}` : ''}`;
  if (topo.tier1.length > 0) {
    out.push(
      topo.layout === 'two-tier'
        ? 'Tier 1 (picks the host):'
        : topo.referenceIsTool
          ? 'Reference ring (no relay given):'
          : 'Relay ring(s) (pick the cache):',
    );
    for (const r of topo.tier1) out.push(`  ${ring(r)}`);
  }
  for (const [host, rings] of topo.tier2) {
    out.push(`Tier 2 on ${host} (picks the instance):`);
    for (const r of rings) out.push(`  ${ring(r)}`);
  }
  const others = ctx.rings.filter((r) => r.role === 'relay' && !topo.tier1.includes(r) && ![...topo.tier2.values()].flat().includes(r));
  for (const r of others) out.push(`  (other relay) ${ring(r)}`);
  if (topo.caches.length > 0) {
    out.push('Cache instances:');
    for (const c of topo.caches) {
      out.push(
        `  ${d(c.file)} carbon-cache ${c.instance}${c.host ? ` on ${c.host}` : ''}: line ${c.line.value ?? c.line.text ?? '-'}, pickle ${c.pickle.value ?? c.pickle.text ?? '-'}, ` +
          `query ${c.cacheQuery.value ?? c.cacheQuery.text ?? '-'}${c.localDataDir ? `, data ${c.localDataDir.path}` : ''}`,
      );
    }
  }
  if (ctx.webapps.length > 0) {
    out.push('Webapps:');
    for (const w of ctx.webapps) {
      const m = topo.mirrors.get(w);
      const mirrors = m === undefined ? 'not compared' : `mirrors ${m.ring.label.replace(m.ring.file, d(m.ring.file))} (${m.why})`;
      out.push(
        `  ${d(w.file)}${w.host ? ` on ${w.host} (${w.hostWhy})` : ''}: ${w.ring ? `${w.ring.spec.destinations.length} CARBONLINK_HOSTS, ` : 'CARBONLINK_HOSTS not evaluated, '}${mirrors}`,
      );
    }
  }
  const tools = ctx.rings.filter((r) => r.role === 'tool' && !topo.tier1.includes(r));
  if (tools.length > 0) {
    out.push('Tools:');
    for (const t of tools) {
      const ref = topo.toolRefs.get(t);
      out.push(
        `  ${t.label.replace(t.file, d(t.file))}: ${t.spec.hash}, replication ${t.spec.replication}, ${t.spec.destinations.length} member${t.spec.destinations.length === 1 ? '' : 's'}; ${ref ? `compared with ${ref.label.replace(ref.file, d(ref.file))}` : 'not compared'}`,
      );
    }
  }
  for (const n of ctx.notes) out.push(`Note: ${n.split(`${ctx.cwd}/`).join('')}`);
  return out;
}
