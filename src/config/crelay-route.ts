// Which clusters a carbon-c-relay config sends a metric to, and under which hash key: the rules of
// router.c walked in order for one name, as the relay's `-t` mode does. rewrite replaces the matched part
// in place; match hashes either the name or its `route using` rewrite; blackhole and stop end the walk;
// an aggregate that matches consumes the metric when it has `stop` (its outputs are computed later, not
// routed here). `validate` clauses depend on the C library's regex engine and are not evaluated.
import { posixRegex, type CrelayCluster, type CrelayConfig, type CrelayRule } from './crelay-conf.js';

export interface CrelayDecision {
  /** The match rule that sent the metric. */
  rule: Extract<CrelayRule, { kind: 'match' }>;
  cluster: CrelayCluster;
  /** The name the match saw (after earlier rewrites). */
  metric: string;
  /** The text hashed for this cluster (the `route using` result, else the metric). */
  hashKey: string;
}

export interface CrelayRouteResult {
  decisions: CrelayDecision[];
  /** The name after all rewrites that applied. */
  metric: string;
  /** Set when a rule this model does not evaluate decided the outcome. */
  unsupported?: string;
  /** The rule that ended the walk (a match with stop or blackhole, an aggregate with stop). */
  endedBy?: CrelayRule;
  /** Aggregates the metric fed on its way (their outputs are routed later, by the aggregate's send to). */
  aggregates?: Extract<CrelayRule, { kind: 'aggregate' }>[];
}

const regexCache = new Map<string, RegExp | null>();

function compile(pattern: string): RegExp | null {
  let r = regexCache.get(pattern);
  if (r === undefined) {
    r = posixRegex(pattern);
    regexCache.set(pattern, r);
  }
  return r;
}

/** Expand a c-relay replacement: \N, \_N (lowercase), \^N (uppercase), \g{N}, \g{_N}, \g{^N}. */
export function crelayExpand(template: string, groups: readonly (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    const m = /^(?:([_^]?)([0-9])|g\{([_^]?)([0-9]+)\})/.exec(rest);
    if (m === null) {
      out += rest[0] ?? '';
      i++;
      continue;
    }
    const mode = m[1] ?? m[3] ?? '';
    const g = groups[Number(m[2] ?? m[4])] ?? '';
    out += mode === '_' ? g.toLowerCase() : mode === '^' ? g.toUpperCase() : g;
    i += m[0].length;
  }
  return out;
}

/** Replace the matched part of `name` by the expanded template (router_rewrite_metric). */
function rewrite(name: string, m: RegExpExecArray, template: string): string {
  return name.slice(0, m.index) + crelayExpand(template, m) + name.slice(m.index + m[0].length);
}

function matchAny(patterns: readonly { text: string }[] | null, name: string): RegExpExecArray | true | null {
  if (patterns === null) return true;
  for (const p of patterns) {
    const re = compile(p.text);
    if (re === null) continue;
    const m = re.exec(name);
    if (m !== null) return m;
  }
  return null;
}

/** Walk the rules for one metric name (the part of the input line before the first space). */
export function crelayRoute(cfg: CrelayConfig, metric: string): CrelayRouteResult {
  const decisions: CrelayDecision[] = [];
  const aggregates: Extract<CrelayRule, { kind: 'aggregate' }>[] = [];
  let name = metric;
  for (const r of cfg.rules) {
    if (r.kind === 'rewrite') {
      const re = compile(r.pattern.text);
      const m = re?.exec(name);
      if (m) name = rewrite(name, m, r.replacement.text);
      continue;
    }
    if (r.kind === 'aggregate') {
      if (matchAny(r.patterns, name) === null) continue;
      aggregates.push(r);
      if (r.stop) return { decisions, metric: name, endedBy: r, aggregates };
      continue;
    }
    const m = matchAny(r.patterns, name);
    if (m === null) continue;
    if (r.validate !== undefined) return { decisions, metric: name, unsupported: `validate clause at ${r.file}:${r.line}`, aggregates };
    for (const cname of r.sendTo) {
      if (cname === 'blackhole') continue;
      const cluster = cfg.clusters.find((c) => c.name === cname)!;
      let hashKey = name;
      if (r.routeUsing !== undefined) hashKey = m === true ? r.routeUsing.text : rewrite(name, m, r.routeUsing.text);
      decisions.push({ rule: r, cluster, metric: name, hashKey });
    }
    if (r.stop || r.blackhole) return { decisions, metric: name, endedBy: r, aggregates };
  }
  return { decisions, metric: name, aggregates };
}
