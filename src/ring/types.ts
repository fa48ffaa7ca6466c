// Shared ring vocabulary. Every ring model, config parser and command speaks in these types.

/** Which program's ring is modelled. */
export type Impl = 'carbon' | 'graphite-web' | 'carbon-c-relay' | 'bucky';
export const IMPLS: readonly Impl[] = ['carbon', 'graphite-web', 'carbon-c-relay', 'bucky'];

export type HashType = 'carbon_ch' | 'fnv1a_ch' | 'jump_fnv1a_ch' | 'mmh3_ch';
export const HASH_TYPES: readonly HashType[] = ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch', 'mmh3_ch'];

/** carbon's RELAY_METHOD for hashing relays. */
export type RouterType = 'consistent-hashing' | 'fast-hashing';

/**
 * One ring member as configured. `instance` is null when absent; '' (carbon `host:2004:`) is a real,
 * distinct value. The port never enters carbon's hash but is part of c-relay's server identity.
 */
export interface Destination {
  server: string;
  port: number;
  instance: string | null;
  /** Where the member was configured, for error messages and lint. */
  line?: number;
}

/** Everything needed to build a ring, whatever it was read from. */
export interface RingSpec {
  impl: Impl;
  hash: HashType;
  /** carbon only; graphite-web and the others ignore it. Default consistent-hashing. */
  router: RouterType;
  /** In configuration order: order matters for carbon (collision bumps) and c-relay jump. */
  destinations: Destination[];
  replication: number;
  /** carbon DIVERSE_REPLICAS (default true). graphite-web is always diverse; c-relay and bucky never. */
  diverse: boolean;
  /** carbon TAG_RELAY_NORMALIZED. */
  tagRelayNormalized: boolean;
  /** carbon-c-relay: apply the daemon's name cleansing before hashing (default true). */
  sanitize: boolean;
  /** What decides placement besides the ring (carbon relay rules, aggregation rules): src/ring/rule-routers.ts. */
  routing?: RoutingModel;
  /** Where the spec came from (file, and cluster name for multi-cluster files). */
  origin?: { file?: string; line?: number; cluster?: string; format?: string };
}

/** The answer for one metric. Owners are primary first, then replicas in ring-walk order. */
export interface Placement {
  metric: string;
  owners: readonly Destination[];
  /** The name the relay forwards (c-relay cleansing, carbon tag normalisation) when it differs. */
  routedAs?: string | undefined;
  /** The text actually hashed when it differs from routedAs (or metric). */
  hashKey?: string | undefined;
  /** c-relay: nothing was left of the name; the relay does not route this line as this metric. */
  dropped?: true | undefined;
  reason?: string | undefined;
  error?: string | undefined;
  /** Placement models beyond a bare ring: the rule, aggregate or relay route that decided the owners. */
  decidedBy?: string | undefined;
}

/** Which function maps a metric name to a 16-bit ring position (rings sharing it can be compared exactly). */
export type PositionFn = 'md5-16' | 'fnv1a32-16' | 'fnv1a32-16-signed';

export interface PositionSpace {
  fn: PositionFn;
  /** Always 65536: every metric position is in 0..65535. */
  size: number;
  /** Owners of a metric whose routing key hashes to `position`, exactly as ownersOfKey would return. */
  ownersAt(position: number): readonly Destination[];
}

/** One point of a ring as its implementation keeps it (ring dumps, `ring show`). */
export interface RingPoint {
  /**
   * carbon/graphite-web/c-relay/bucky consistent rings: the point's position (carbon's may exceed 65535
   * after collision bumps; mmh3_ch is signed 32-bit); fast-hashing: the node's hash; jump: the bucket.
   */
  position: number;
  member: Destination;
}

export interface Ring {
  readonly spec: RingSpec;
  /** Distinct ring members in configuration order (after the implementation's own de-duplication). */
  readonly members: readonly Destination[];
  /** name → routing key (cleansing, tag normalisation) → owners. */
  locate(metric: string): Placement;
  /** Owners for a routing key used as is. */
  ownersOfKey(key: string): readonly Destination[];
  /** Present for carbon_ch and fnv1a_ch rings: the whole keyspace can be enumerated exactly. */
  readonly positionSpace?: PositionSpace;
  /** The ring's points in ring order (after carbon's bumps, c-relay's sort and collapse, jump's bucket order). */
  points?(): readonly RingPoint[];
}

/**
 * Stable text id of a member in carbon's destination syntax: "server:port" or "server:port:instance",
 * IPv6 servers in brackets. It parses back with parseCarbonDestination.
 */
export function memberId(d: Destination): string {
  const host = d.server.includes(':') ? `[${d.server}]` : d.server;
  return d.instance === null ? `${host}:${d.port}` : `${host}:${d.port}:${d.instance}`;
}

/** One section of relay-rules.conf, compiled. */
export interface RelayRuleModel {
  name: string;
  line: number;
  /** The compiled pattern (re.I, search); null for the default rule. */
  pattern: RegExp | null;
  /** Set when the pattern could not be translated: metrics reaching this rule cannot be placed. */
  unsupported?: string;
  continueMatching: boolean;
  destinations: readonly Destination[];
}

/** One line of aggregation-rules.conf, compiled (build_regex: anchored at the start, `$` at the end). */
export interface AggregationRuleModel {
  line: number;
  /** The rule as written (for messages). */
  text: string;
  /** Sticky regex with named groups; undefined when the pattern could not be translated. */
  regex: RegExp | undefined;
  output: string;
}

/** One cache's bindings to carbon's AMQP topic exchange (BIND_PATTERNS), with where they were written. */
export interface AmqpBindingModel {
  member: Destination;
  patterns: readonly { text: string; line?: number }[];
  /** The file the patterns were written in (a cache's carbon.conf) when it is not the model's file. */
  file?: string;
  /**
   * AMQP_METRIC_NAME_IN_BODY = True: the cache stores each body line under the name written in it, so
   * what reaches it is decided by the publisher's routing key, not by the metric name.
   */
  nameInBody?: true;
}

/** carbon-relay-ng's route table (src/ring/relayng-router.ts). */
export interface RelayngMatcherModel {
  prefix?: string;
  notPrefix?: string;
  sub?: string;
  notSub?: string;
  regex?: string;
  notRegex?: string;
}

export interface RelayngRewriterModel {
  old: string;
  new: string;
  not: string;
  max: number;
}

export interface RelayngDestModel {
  member: Destination;
  /** The address as written (host:port); the host part is what the hash ring keys on. */
  addr: string;
  instance: string;
  matcher: RelayngMatcherModel;
}

export interface RelayngRouteModel {
  key: string;
  type: string;
  line: number | null;
  matcher: RelayngMatcherModel;
  destinations: readonly RelayngDestModel[];
}

/** One [[aggregation]] of carbon-relay-ng (aggregator/aggregator.go). */
export interface RelayngAggregatorModel {
  line: number | null;
  /** avg, count, delta, derive, last, max, min, stdev, sum, percentiles. */
  fn: string;
  /** prefix/notPrefix/sub/notSub pre-match, then `regex` (an aggregator never evaluates notRegex). */
  matcher: RelayngMatcherModel;
  /** The output name: Go's regexp Expand template over the regex's groups ($1, ${name}, $$). */
  format: string;
  interval: number;
  wait: number;
  /** The raw metric is not routed when the aggregator's regex matches it. */
  dropRaw: boolean;
}

export interface RelayngTableModel {
  file: string;
  blocklist: readonly RelayngMatcherModel[];
  rewriters: readonly RelayngRewriterModel[];
  /** Aggregators see the rewritten name; their outputs go through the routes only (no blocklist, rewriters or aggregators). */
  aggregators: readonly RelayngAggregatorModel[];
  routes: readonly RelayngRouteModel[];
}

/** What decides placement on top of (or instead of) the ring of `spec.destinations`. */
export type RoutingModel =
  | { kind: 'relay-rules'; file: string; rules: readonly RelayRuleModel[] }
  | { kind: 'aggregation'; file: string; rules: readonly AggregationRuleModel[]; note?: string }
  | { kind: 'amqp-topic'; file: string; exchange: string; bindings: readonly AmqpBindingModel[] }
  | ({ kind: 'relayng' } & RelayngTableModel);
