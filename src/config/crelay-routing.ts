// `ring locate` on a carbon-c-relay config: the cluster's ring, with the relay's rules walked first
// (crelay-route.ts) so each line says what decided it — the match that sent the metric to this cluster and
// the `route using` key it hashed, the rewrite that renamed it, the aggregate that consumed it (`stop`), the
// blackhole, or the clusters it went to instead. Only locate applies the walk: sieve, show, diff and audit
// keep modelling the cluster's ring itself (which names a cluster's members own).
import { basename } from 'node:path';
import type { Destination, Placement, Ring } from '../ring/types.js';
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

  constructor(
    private readonly ring: Ring,
    private readonly cfg: CrelayConfig,
    private readonly cluster: string,
  ) {
    this.spec = ring.spec;
    this.members = ring.members;
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

/**
 * `ring` (built from the c-relay config `path`, cluster `clusterName` or the one selectCrelayCluster picks)
 * with the relay's rule walk on top.
 */
export function crelayRoutedRing(ring: Ring, path: string, clusterName?: string): Ring {
  const { file, text } = readRingConfig(path);
  const cfg = parseCrelayConfig(text, file);
  const cluster = selectCrelayCluster(cfg, clusterName);
  return new CrelayRoutedRing(ring, cfg, cluster.name);
}
