// What the linter knows about a cluster after reading its files: the rings each component holds (relays,
// webapps, tools), the carbon processes on each host with their effective settings, and the readers.
// Everything keeps the file and line it came from, so every finding can point at both sides.
import type { Destination, RingSpec } from '../ring/types.js';

/** Every kind of file the linter reads. */
export type FileKind =
  | 'carbon-conf'
  | 'relay-rules'
  | 'aggregation-rules'
  | 'rewrite-rules'
  | 'storage-schemas'
  | 'storage-aggregation'
  | 'local-settings'
  | 'crelay'
  | 'relayng'
  | 'carbonate'
  | 'cluster-file'
  | 'go-carbon'
  | 'carbonapi'
  | 'buckyd';

export interface LintFile {
  /** Absolute path. */
  path: string;
  /** As shown in findings (relative to the working directory when below it). */
  display: string;
  kind: FileKind;
  text: string;
  /** How the kind was decided (file name, content), for --explain. */
  why: string;
  /** Named on the command line (not found by walking a directory). */
  explicit: boolean;
  /** A config embedded in another file (a Kubernetes ConfigMap): findings point into the outer file. */
  embedded?: { outer: string; lineOffset: number };
}

export interface Where {
  file: string;
  line: number | null;
}

/** Which program holds a ring; decides collision, replica and key semantics. */
export type Holder =
  'carbon-relay' | 'carbon-aggregator' | 'carbon-c-relay' | 'carbon-relay-ng' | 'graphite-web' | 'carbonate' | 'buckyd' | 'ringshift';

export type Role = 'relay' | 'webapp' | 'tool';

/** A ring somebody holds, as that program would build it. */
export interface HeldRing {
  /** Human label: "relay/carbon.conf [relay]", "carbonate.conf [main]", "relay.conf cluster graphite". */
  label: string;
  role: Role;
  holder: Holder;
  spec: RingSpec;
  /** Where the member list is, and what it is called there (DESTINATIONS, CARBONLINK_HOSTS, cluster NAME). */
  members: Where;
  membersName: string;
  /** Where the hash type, replication factor and replica policy are set (line null: the default). */
  hash: Where;
  replication: Where;
  diverse?: Where;
  /** The file the ring came from (several rings can share one file). */
  file: string;
  /** For relays: the receiver the destination ports must be (pickle or line). */
  protocol?: 'pickle' | 'line' | 'udp' | 'protobuf';
  /** Host the holder runs on, when known, and how that was decided. */
  host?: string;
  hostWhy?: string;
  /** Relays: dynamic routing / any_of (R20), and where. */
  dynamic?: Where;
  /** The spec is an approximation of the holder's ring (e.g. relay-ng consistentHashing-v2). */
  approximate?: string;
  /** A ring that could not be built (buildRing refused it); the reason is reported elsewhere. */
  broken?: boolean;
  /** carbonate: DIVERSE_REPLICAS as written (carbonate reads it with bool(str)). */
  diverseText?: string;
  /** carbon relays: RELAY_METHOD (aggregated-* routes by aggregate names). */
  method?: string;
  /** carbon relays: the [section] read; c-relay: the cluster name. */
  section?: string;
}

export interface PortSetting {
  value: number | null;
  where: Where;
  /** The value as written when it is not a number (inline comment, typo). */
  text?: string;
}

/** One carbon process (cache instance, relay, aggregator) with its effective settings. */
export interface CarbonProcess {
  file: string;
  program: 'cache' | 'relay' | 'aggregator' | 'aggregator-cache';
  instance: string;
  /** Sections read, in order. */
  sections: string[];
  sectionLine: number | null;
  host?: string;
  line: PortSetting;
  pickle: PortSetting;
  udp: PortSetting & { enabled: boolean };
  cacheQuery: PortSetting;
  localDataDir?: { path: string; where: Where; assumed?: string };
  pidfile?: { path: string; where: Where };
  metricPrefix: { value: string; where: Where };
  relayCacheMetrics: { value: boolean; where: Where };
  /** Derived from the program section only because the instance section omits it (R9). */
  instanceOverrides: Set<string>;
}

/** A go-carbon daemon (cache + carbonlink + carbonserver in one). */
export interface GoCarbon {
  file: string;
  host?: string;
  dataDir?: { path: string; where: Where };
  tcp?: PortSetting;
  pickle?: PortSetting;
  carbonlink?: PortSetting;
  carbonserver?: PortSetting;
  graphPrefix?: { value: string; where: Where };
  tagsEnabled?: { value: boolean; where: Where };
}

export interface Webapp {
  file: string;
  host?: string;
  hostWhy?: string;
  /** The CarbonLink ring; absent when CARBONLINK_HOSTS cannot be evaluated. */
  ring?: HeldRing;
  clusterServers?: { hosts: { text: string; host: string; line: number | null }[]; where: Where };
  /** STANDARD_DIRS as graphite-web computes them. */
  dataDirs?: { paths: string[]; where: Where; assumed?: string };
  metricPrefix: { value: string; where: Where };
  tagdb?: Where;
}

export interface CarbonApi {
  file: string;
  backends: { text: string; host: string; line: number | null }[];
}

/** The optional `topology:` key of a ringshift cluster file (parsed with the cluster file, in src/config). */
export type { StatedTopology } from '../config/cluster-topology.js';

export type { Destination };
