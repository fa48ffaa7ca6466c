// A carbon-c-relay config's cluster ring, with the relay's rules walked first (crelay-route.ts) as the relay
// does: `ring locate`, `ring sieve` and `ring diff` place a name where the relay sends it — by the match that
// sends it to this cluster and its `route using` key, after the rewrites that renamed it — and give no owner
// here to a name the relay sends only to other clusters, consumes in an aggregate (`stop`) or blackholes;
// locate also says what decided. The keyspace (ring show, ring diff's keyspace figures) stays the ring's
// own: it is about routing keys, which the walk only chooses.
import { basename } from 'node:path';
import type { Destination, Placement, PositionSpace, Ring } from '../ring/types.js';
import { parseCrelayConfig, selectCrelayCluster, type CrelayConfig, type CrelayRule } from './crelay-conf.js';
import { crelayRoute } from './crelay-route.js';
import { readRingConfig } from './upstream-ring.js';

function ruleLabel(r: CrelayRule): string {
  const at = `${basename(r.file)}:${r.line}`;
  if (r.kind === 'rewrite') return `rewrite ${r.pattern.text} (${at})`;
  const pats = r.patterns === null ? '*' : r.patterns.map((p) => p.text).join(' ');
  return `${r.kind} ${pats} (${at})`;
}

/** The cluster ring `ring` of the c-relay config `cfg`, placing names as the relay's rules do. */
class CrelayRoutedRing implements Ring {
  readonly spec: Ring['spec'];
  readonly members: readonly Destination[];
  readonly positionSpace?: PositionSpace;

  constructor(
    private readonly ring: Ring,
    private readonly cfg: CrelayConfig,
    private readonly cluster: string,
  ) {
    this.spec = ring.spec;
    this.members = ring.members;
    // the keyspace is the ring's own: the walk chooses the routing key, the ring places it
    if (ring.positionSpace !== undefined) this.positionSpace = ring.positionSpace;
  }

  ownersOfKey(key: string): readonly Destination[] {
    return this.ring.ownersOfKey(key);
  }

  locate(metric: string): Placement {
    const base = this.ring.locate(metric);
    if (base.dropped || base.error !== undefined) return base;
    const name = base.routedAs ?? metric;
    const r = crelayRoute(this.cfg, name);
    const renamed = r.metric !== name ? { routedAs: r.metric } : {};
    const fed = (r.aggregates ?? []).filter((a) => a !== r.endedBy).map((a) => `; also feeds ${ruleLabel(a)}`);
    if (r.unsupported !== undefined) {
      return { ...base, decidedBy: `the cluster's ring (not evaluated: ${r.unsupported})` };
    }
    const mine = r.decisions.find((d) => d.cluster.name === this.cluster);
    if (mine !== undefined) {
      const p: Placement = { metric, owners: this.ring.ownersOfKey(mine.hashKey), ...renamed };
      if (mine.hashKey !== r.metric) p.hashKey = mine.hashKey;
      p.decidedBy = `${ruleLabel(mine.rule)} → cluster ${this.cluster}${fed.join('')}`;
      return p;
    }
    const p: Placement = { metric, owners: [], ...renamed };
    const others = [...new Set(r.decisions.map((d) => d.cluster.name))];
    if (others.length > 0) {
      p.decidedBy = `${ruleLabel(r.decisions[0]!.rule)} → cluster ${others.join(', ')}${fed.join('')}`;
      p.reason = `not sent to cluster ${this.cluster}`;
    } else if (r.endedBy?.kind === 'aggregate') {
      p.decidedBy = `${ruleLabel(r.endedBy)} → consumed (stop)${fed.join('')}`;
      p.reason = `only the aggregate's outputs are sent on`;
    } else if (r.endedBy?.kind === 'match' && r.endedBy.blackhole) {
      p.decidedBy = `${ruleLabel(r.endedBy)} → blackhole`;
      p.reason = 'discarded';
    } else {
      p.decidedBy = `no match rule sends it anywhere${fed.join('')}`;
      p.reason = 'not routed';
    }
    return p;
  }
}

/** True when the walk cannot change a placement: one `match *` sending everything to this cluster, as is. */
function sendsAllAsIs(cfg: CrelayConfig, cluster: string): boolean {
  if (cfg.rules.length !== 1) return false;
  const r = cfg.rules[0]!;
  return (
    r.kind === 'match' &&
    r.patterns === null &&
    r.routeUsing === undefined &&
    r.validate === undefined &&
    !r.blackhole &&
    r.sendTo.length === 1 &&
    r.sendTo[0] === cluster
  );
}

/**
 * `ring` with its relay's rules on top when it is a carbon-c-relay cluster read from a config file (the
 * spec's origin; also a cluster file whose ring.source is one), else `ring` itself. A config whose only rule
 * sends everything to the cluster as is keeps the bare ring (and its fast byte path).
 */
export function withCrelayRules(ring: Ring): Ring {
  const origin = ring.spec.origin;
  if (origin?.format !== 'carbon-c-relay' || origin.file === undefined) return ring;
  const { file, text } = readRingConfig(origin.file);
  const cfg = parseCrelayConfig(text, file);
  const cluster = selectCrelayCluster(cfg, origin.cluster).name;
  return sendsAllAsIs(cfg, cluster) ? ring : new CrelayRoutedRing(ring, cfg, cluster);
}
