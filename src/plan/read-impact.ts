// What the users of the graphs see during each phase of a plan: for every metric the plan touches, which
// stretch of its history each storage location holds at the end of each phase, and what three readers
// make of that:
//
//   graphite-web ≥ 1.1, REMOTE_STORE_MERGE_RESULTS = True (the default): CLUSTER_SERVERS fan out to
//     every node and the answers are merged slot by slot (first non-None wins): a graph is whole when
//     the union of the locations holding the metric covers every stretch;
//   graphite-web without merging (< 1.1, or the setting off): the answer with the fewest Nones wins
//     whole, so a graph is whole only when ONE location holds every stretch;
//   carbonapi / go-carbon (broadcast): every store answers with its file and its own cache, first
//     non-null per timestamp: whole when the union covers every stretch.
//
// A metric's history is cut in three stretches: H, up to the pre-copy (or, for a plain plan, whatever
// the stray files hold); G, from the pre-copy until the relays are switched; R, since the switch. A
// location that the relays send to holds everything up to now. "Recent points missed": graphite-web
// completes a file's series with CarbonLink's unflushed points from ONE cache its CARBONLINK_HOSTS ring
// names (a random replica candidate); when that cache is not one the relay writes, the newest points
// (up to the caches' flush delay) are missing. The webapps' CARBONLINK_HOSTS are assumed to follow the
// relays (the switch phase edits both).
import { buildRing } from '../ring/build.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, Ring } from '../ring/types.js';
import { PHASES } from './phase-names.js';

export type ReaderName = 'graphite-web-merge' | 'graphite-web-no-merge' | 'broadcast';
export const READERS: readonly ReaderName[] = ['graphite-web-merge', 'graphite-web-no-merge', 'broadcast'];
export const READER_LABELS: Record<ReaderName, string> = {
  'graphite-web-merge': 'graphite-web ≥ 1.1, merge on',
  'graphite-web-no-merge': 'graphite-web, merge off (or < 1.1)',
  broadcast: 'carbonapi / go-carbon',
};

/** Stretches of a metric's history: H (before the pre-copy), G (pre-copy → switch), R (since the switch). */
const H = 1;
const G = 2;
const R = 4;
const ALL = H | G | R;

export interface MetricMove {
  metric: string;
  /** Locations the relays send the metric to before the change and after it. */
  oldOwners: readonly string[];
  newOwners: readonly string[];
  /** Locations holding a file of the metric now, with whether something still writes it. */
  holders: readonly { loc: string; live: boolean }[];
}

/** One phase's impact on one reader. */
export interface ReaderImpact {
  /** Metrics whose graph shows a gap (part of the history is on no location the reader combines). */
  gaps: number;
  /** Metrics whose newest, unflushed points are missed (CarbonLink asks a cache the relay does not write). */
  recent: number;
  /** Up to SAMPLE metrics of each. */
  gapSample: string[];
  recentSample: string[];
}

export interface PhaseImpact {
  phase: string;
  readers: Record<ReaderName, ReaderImpact>;
}

export interface ReadImpactReport {
  /** Metrics the plan touches. */
  metrics: number;
  phases: PhaseImpact[];
}

const SAMPLE = 5;

/** Where each location stands at the end of a phase. */
type Coverage = Map<string, number>;

function emptyImpact(): ReaderImpact {
  return { gaps: 0, recent: 0, gapSample: [], recentSample: [] };
}

/** graphite-web's CarbonLink ring over a relay ring's caches (null: it cannot hash like that relay). */
function carbonLinkRing(relay: Ring | undefined): Ring | null {
  if (relay === undefined || relay.spec.hash === 'jump_fnv1a_ch') return null;
  try {
    return buildRing(
      makeRingSpec({
        impl: 'graphite-web',
        hash: relay.spec.hash,
        replication: relay.spec.replication,
        destinations: relay.spec.destinations,
      }),
    );
  } catch {
    return null;
  }
}

const node = (d: Destination): string => `${d.server}\u0000${d.instance ?? ''}`;

export class ReadImpact {
  private metrics = 0;
  private readonly phases: PhaseImpact[];
  private readonly names: readonly string[];
  private readonly linkOld: Ring | null;
  private readonly linkNew: Ring | null;

  constructor(
    /** Phased runbook (pre-copy … cleanup) or a plain plan (now, during and after apply). */
    readonly phased: boolean,
    private readonly newRing: Ring,
    private readonly oldRing: Ring | undefined,
  ) {
    this.names = phased ? ['now', ...PHASES] : ['now', 'apply'];
    this.phases = this.names.map((phase) => ({
      phase,
      readers: { 'graphite-web-merge': emptyImpact(), 'graphite-web-no-merge': emptyImpact(), broadcast: emptyImpact() },
    }));
    this.linkOld = carbonLinkRing(oldRing);
    this.linkNew = carbonLinkRing(newRing);
  }

  /** Does graphite-web's CarbonLink find a cache the relay writes for `metric` under `relay`? */
  private recentMissed(metric: string, relay: Ring | undefined, link: Ring | null): boolean {
    if (relay === undefined) return false;
    if (link === null) return true;
    const writes = new Set(relay.locate(metric).owners.map(node));
    // Names starting with "carbon" are asked of every host; the others of one random candidate.
    if (metric.startsWith('carbon')) return false;
    return link.locate(metric).owners.some((d) => !writes.has(node(d)));
  }

  /** One metric the plan touches. */
  add(m: MetricMove): void {
    this.metrics++;
    const relaySwitched = !m.holders.some((h) => h.live && !m.newOwners.includes(h.loc));
    const stages = this.phased ? this.phasedCoverage(m, relaySwitched) : this.plainCoverage(m);
    stages.forEach((cov, i) => {
      const phase = this.names[i]!;
      const afterSwitch = this.phased ? i >= 3 || relaySwitched : true;
      const relay = afterSwitch ? this.newRing : (this.oldRing ?? this.newRing);
      const link = afterSwitch ? this.linkNew : (this.linkOld ?? this.linkNew);
      const recent = this.recentMissed(m.metric, relay, link);
      this.judge(this.phases[i]!, phase, m.metric, cov, recent);
    });
  }

  private judge(p: PhaseImpact, _phase: string, metric: string, cov: Coverage, recent: boolean): void {
    let union = 0;
    let best = 0;
    for (const c of cov.values()) {
      union |= c;
      if (c === ALL) best = ALL;
    }
    const hit = (r: ReaderImpact, kind: 'gap' | 'recent') => {
      if (kind === 'gap') {
        r.gaps++;
        if (r.gapSample.length < SAMPLE) r.gapSample.push(metric);
      } else {
        r.recent++;
        if (r.recentSample.length < SAMPLE) r.recentSample.push(metric);
      }
    };
    if (cov.size > 0 && union !== ALL) {
      hit(p.readers['graphite-web-merge'], 'gap');
      hit(p.readers.broadcast, 'gap');
    }
    if (cov.size > 0 && best !== ALL) hit(p.readers['graphite-web-no-merge'], 'gap');
    if (cov.size > 0 && recent) {
      hit(p.readers['graphite-web-merge'], 'recent');
      hit(p.readers['graphite-web-no-merge'], 'recent');
    }
  }

  /** now, pre-copy, switch, backfill, verify, cleanup. */
  private phasedCoverage(m: MetricMove, switchedAlready: boolean): Coverage[] {
    const inBoth = (l: string) => m.oldOwners.includes(l) && m.newOwners.includes(l);
    const now: Coverage = new Map();
    for (const h of m.holders) now.set(h.loc, h.live || inBoth(h.loc) ? ALL : H | G);
    if (switchedAlready) {
      // The relays already write the new owners: they hold R (or nothing yet).
      for (const l of m.newOwners) if (!now.has(l)) now.set(l, R);
    }
    const pre = new Map(now);
    for (const l of m.newOwners) if (!pre.has(l)) pre.set(l, switchedAlready ? H | G | R : H);
    // After the switch: new owners receive R; strays stop at G.
    const sw: Coverage = new Map();
    for (const [l, c] of pre) {
      if (m.newOwners.includes(l)) sw.set(l, inBoth(l) || switchedAlready ? c | R : (c & H) | R);
      else sw.set(l, c & (H | G));
    }
    const filled: Coverage = new Map();
    for (const [l, c] of sw) filled.set(l, m.newOwners.includes(l) ? ALL : c);
    const clean: Coverage = new Map();
    for (const l of m.newOwners) if (filled.has(l)) clean.set(l, ALL);
    return [now, pre, sw, filled, new Map(filled), clean];
  }

  /** A plain plan: the relays already write the new owners (live leftovers are never touched). */
  private plainCoverage(m: MetricMove): Coverage[] {
    const now: Coverage = new Map();
    for (const h of m.holders)
      now.set(
        h.loc,
        m.newOwners.includes(h.loc) && m.oldOwners.includes(h.loc) ? ALL : m.newOwners.includes(h.loc) ? R | (h.live ? 0 : H | G) : H | G,
      );
    const after: Coverage = new Map();
    for (const l of m.newOwners) after.set(l, ALL);
    return [now, after];
  }

  report(): ReadImpactReport {
    return { metrics: this.metrics, phases: this.phases };
  }
}

/**
 * The phased runbook's promise for graphite-web ≥ 1.1 with merge on: no gap in any phase. (Recent points
 * missed through CarbonLink are the cluster's own: a CARBONLINK_HOSTS ring that disagrees with the relay's.)
 */
export function mergeReadersGapFree(r: ReadImpactReport): boolean {
  return r.phases.every((p) => p.readers['graphite-web-merge'].gaps === 0);
}
