// Placement models that are not a bare hash ring: carbon-relay's RELAY_METHOD = rules (relay-rules.conf)
// and its aggregated routers (aggregation-rules.conf), configs.md §1.6-1.7. They answer the same
// questions as a ring (owners of a name) and also say what decided each placement, because an operator
// reading `ring locate` needs the rule or the aggregate, not just the hosts. Facts from carbon's
// routers.py, relayrules.py and aggregator/rules.py: rules are tried in file order with re.search
// (re.I), `continue` goes on to the next rule, the default comes last; a destination a rule names but
// DESTINATIONS lacks is never sent to; duplicates collapse (the client manager keeps a set of
// factories). The aggregated router hashes each aggregate a metric feeds (the metric itself when no rule
// matches) and sends it to the union of their owners.
import { AmqpTopicRing } from './amqp-topic.js';
import { RelayngRing } from './relayng-router.js';
import { freezeDestination, isWellFormed, malformedPlacement, NO_OWNERS } from './ring-support.js';
import { normalizeTaggedName } from './tag-normalize.js';
import {
  memberId,
  type AggregationRuleModel,
  type Destination,
  type Placement,
  type Ring,
  type RingSpec,
  type RoutingModel,
} from './types.js';

/**
 * get_aggregate_metric: the aggregate name `rule` makes of `metric`, null when the rule does not match, or
 * an error where `output_template % fields` raises something other than the TypeError carbon catches (a
 * field the input does not capture is a KeyError, a stray `%x` a ValueError): the exception leaves
 * getDestinations and the relay drops the metric.
 */
export function aggregateName(rule: AggregationRuleModel, metric: string): string | null | { error: string } {
  const re = rule.regex;
  if (re === undefined) return null;
  re.lastIndex = 0;
  const m = re.exec(metric);
  if (m === null) return null;
  const template = rule.output.replaceAll('<', '%(').replaceAll('>', ')s');
  const groups = m.groups ?? {};
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    if (template[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const f = /^%\(([^)]*)\)s/.exec(template.slice(i));
    if (f === null) return { error: `output ${rule.output}: carbon's % formatting of ${JSON.stringify(template)} fails` };
    const v = groups[f[1]!];
    if (v === undefined)
      return { error: `output ${rule.output}: KeyError ${JSON.stringify(f[1])} (the input pattern captures no such field)` };
    out += v;
    i += f[0].length - 1;
  }
  return out;
}

/** `relay-rules.conf:3`: the file's base name keeps a locate line short (the full path is in `ring show`). */
function where(file: string, line: number): string {
  return `${file.slice(file.lastIndexOf('/') + 1)}:${line}`;
}

/** Identity carbon compares destinations by: the (server, port, instance) triple. */
function tripleKey(d: Destination): string {
  return memberId(d);
}

/** carbon-relay with RELAY_METHOD = rules. Members are DESTINATIONS (the only ones it ever sends to). */
export class RelayRulesRing implements Ring {
  readonly members: readonly Destination[];
  private readonly byKey = new Map<string, Destination>();
  private readonly normalizeTags: boolean;

  constructor(
    readonly spec: RingSpec,
    members: readonly Destination[],
    private readonly model: Extract<RoutingModel, { kind: 'relay-rules' }>,
  ) {
    const ms: Destination[] = [];
    for (const d of members) {
      const k = tripleKey(d);
      if (this.byKey.has(k)) continue;
      const m = freezeDestination(d);
      this.byKey.set(k, m);
      ms.push(m);
    }
    this.members = ms;
    this.normalizeTags = spec.tagRelayNormalized;
  }

  locate(metric: string): Placement {
    if (!isWellFormed(metric)) return malformedPlacement(metric);
    let name = metric;
    if (this.normalizeTags) name = normalizeTaggedName(metric);
    const p = this.route(name);
    return { ...p, metric, ...(name !== metric ? { routedAs: name } : {}) };
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.route(key).owners;
  }

  private route(name: string): Placement {
    const owners: Destination[] = [];
    const seen = new Set<Destination>();
    const used: string[] = [];
    const dropped: string[] = [];
    for (const rule of this.model.rules) {
      if (rule.pattern === null) {
        if (rule.unsupported !== undefined) {
          return {
            metric: name,
            owners: NO_OWNERS,
            error: `rule [${rule.name}] (${where(this.model.file, rule.line)}): ${rule.unsupported}`,
          };
        }
      } else {
        rule.pattern.lastIndex = 0;
        if (!rule.pattern.test(name)) continue;
      }
      used.push(`[${rule.name}] (${where(this.model.file, rule.line)})`);
      for (const d of rule.destinations) {
        const member = this.byKey.get(tripleKey(d));
        if (member === undefined) {
          const id = memberId(d);
          if (!dropped.includes(id)) dropped.push(id);
          continue;
        }
        if (seen.has(member)) continue;
        seen.add(member);
        owners.push(member);
      }
      if (!rule.continueMatching) break;
    }
    let decidedBy = `${used.length === 1 ? 'rule' : 'rules'} ${used.join(', ')}`;
    if (dropped.length > 0) decidedBy += `; not in DESTINATIONS, never sent: ${dropped.join(', ')}`;
    const p: Placement = { metric: name, owners: owners.length === 0 ? NO_OWNERS : owners, decidedBy };
    if (owners.length === 0) p.reason = 'no configured destination: carbon-relay queues it and never sends it';
    return p;
  }
}

/**
 * carbon-relay with RELAY_METHOD = aggregated-consistent-hashing (or fast-aggregated-hashing): `inner` is
 * the hash ring of DESTINATIONS; each aggregate name the rules make of a metric is hashed on it.
 */
export class AggregatedRing implements Ring {
  readonly members: readonly Destination[];

  constructor(
    readonly spec: RingSpec,
    private readonly inner: Ring,
    private readonly model: Extract<RoutingModel, { kind: 'aggregation' }>,
  ) {
    this.members = inner.members;
  }

  locate(metric: string): Placement {
    const base = this.inner.locate(metric);
    if (base.error !== undefined) return base;
    const name = base.routedAs ?? metric;
    const r = this.route(name, base.owners);
    return { ...base, ...r, metric };
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.route(key, this.inner.ownersOfKey(key)).owners;
  }

  private route(name: string, own: readonly Destination[]): Pick<Placement, 'owners' | 'hashKey' | 'decidedBy' | 'error'> {
    const hits: { name: string; rule: AggregationRuleModel }[] = [];
    for (const rule of this.model.rules) {
      const agg = aggregateName(rule, name);
      if (agg === null) continue;
      if (typeof agg !== 'string') {
        return {
          owners: NO_OWNERS,
          decidedBy: `aggregation rule ${where(this.model.file, rule.line)}`,
          error: `${agg.error}: carbon-relay raises and drops the metric`,
        };
      }
      hits.push({ name: agg, rule });
    }
    if (hits.length === 0) {
      const note = this.model.note !== undefined ? ` (${this.model.note})` : '';
      return { owners: own, decidedBy: `no aggregation rule matches: hashed by its own name${note}` };
    }
    let owners: readonly Destination[];
    if (hits.length === 1) owners = this.inner.ownersOfKey(hits[0]!.name);
    else {
      const union: Destination[] = [];
      const seen = new Set<string>();
      for (const h of hits) {
        for (const d of this.inner.ownersOfKey(h.name)) {
          const k = tripleKey(d);
          if (seen.has(k)) continue;
          seen.add(k);
          union.push(d);
        }
      }
      owners = union;
    }
    const list = hits.map((h) => `${JSON.stringify(h.name)} (${where(this.model.file, h.rule.line)})`).join(', ');
    const out: Pick<Placement, 'owners' | 'hashKey' | 'decidedBy' | 'error'> = {
      owners,
      decidedBy: `${hits.length === 1 ? 'aggregate' : 'aggregates'} ${list}`,
    };
    if (hits[0]!.name !== name) out.hashKey = hits[0]!.name;
    return out;
  }
}

/** The ring with its routing model on top (buildRing's last step when the spec carries one). */
export function withRouting(spec: RingSpec, inner: () => Ring, members: readonly Destination[]): Ring {
  const model = spec.routing;
  if (model === undefined) return inner();
  if (model.kind === 'relay-rules') return new RelayRulesRing(spec, members, model);
  if (model.kind === 'amqp-topic') return new AmqpTopicRing(spec, model);
  if (model.kind === 'relayng') return new RelayngRing(spec, model);
  return new AggregatedRing(spec, inner(), model);
}
