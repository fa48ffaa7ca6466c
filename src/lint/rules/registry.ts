// The rule catalogue: every check `ringshift lint` can make, keyed by a kebab-case id and the number of
// the consistency rule it implements (configs.md §9, R1–R21). One page per rule in docs/rules/<id>.md.
// The severity here is the rule's default (and highest); a few rules report milder cases with a lower
// severity, which each rule's page says.
import type { RuleMeta } from '../types.js';

export const RULES: readonly RuleMeta[] = [
  // R1: who holds which node
  {
    id: 'ring-members-mismatch',
    ref: 'R1',
    severity: 'error',
    title: 'A tool or cluster file models different ring members than the relay tier that picks the cache',
  },
  {
    id: 'carbonlink-members-mismatch',
    ref: 'R1',
    severity: 'error',
    title: "A webapp's CARBONLINK_HOSTS are not exactly its host's members of the relay ring",
  },
  {
    id: 'webapp-setting-unresolved',
    ref: 'R1',
    severity: 'warning',
    title: 'A local_settings.py setting the ring checks need depends on the environment or cannot be evaluated',
  },
  // R2
  { id: 'hash-type-mismatch', ref: 'R2', severity: 'error', title: 'Relay, webapp and tools hash with different functions' },
  {
    id: 'jump-hash-no-webapp',
    ref: 'R2',
    severity: 'warning',
    title: 'A jump_fnv1a_ch relay feeds caches that graphite-web cannot mirror',
  },
  // R3
  {
    id: 'fnv1a-instances',
    ref: 'R3',
    severity: 'error',
    title: 'An fnv1a_ch ring has members without an instance or with a shared instance',
  },
  // R4
  { id: 'ring-order-mismatch', ref: 'R4', severity: 'warning', title: 'The same ring members are listed in a different order' },
  // R5
  {
    id: 'collision-semantics',
    ref: 'R5',
    severity: 'warning',
    title: 'A carbon_ch ring is shared by implementations that resolve position collisions differently',
  },
  // R6
  {
    id: 'replication-mismatch',
    ref: 'R6',
    severity: 'error',
    title: 'REPLICATION_FACTOR differs between the relay, the webapps and the tools',
  },
  {
    id: 'webapp-replication-exceeds-servers',
    ref: 'R6',
    severity: 'error',
    title: "A webapp's REPLICATION_FACTOR exceeds the distinct servers in its CARBONLINK_HOSTS",
  },
  // R7
  {
    id: 'replica-diversity-mismatch',
    ref: 'R7',
    severity: 'warning',
    title: 'With replication ≥ 2 the relay places replicas differently than the readers expect',
  },
  // R8
  {
    id: 'destination-port-mismatch',
    ref: 'R8',
    severity: 'error',
    title: "A relay destination port is not the target's receiver for the protocol in use",
  },
  {
    id: 'carbonlink-port-mismatch',
    ref: 'R8',
    severity: 'error',
    title: 'A CARBONLINK_HOSTS port is not the CACHE_QUERY_PORT of the cache instance the relay writes to',
  },
  // R9
  {
    id: 'cache-port-conflict',
    ref: 'R9',
    severity: 'error',
    title: 'Two carbon instances on one host bind the same port or share a pidfile',
  },
  {
    id: 'instance-storage-dir',
    ref: 'R9',
    severity: 'warning',
    title: 'An instance section sets STORAGE_DIR but not LOCAL_DATA_DIR, so its data does not move',
  },
  // R10
  { id: 'data-dir-not-read', ref: 'R10', severity: 'error', title: "A cache writes whisper files where its host's webapp does not read" },
  {
    id: 'storage-host-not-queried',
    ref: 'R10',
    severity: 'error',
    title: 'A storage host is missing from the readers that fan out (CLUSTER_SERVERS, carbonapi backends)',
  },
  // R11
  {
    id: 'relay-rules-invalid',
    ref: 'R11',
    severity: 'error',
    title: 'relay-rules.conf is refused by carbon-relay (default rule, destinations, regexes)',
  },
  {
    id: 'relay-rules-unknown-destination',
    ref: 'R11',
    severity: 'error',
    title: 'A relay rule sends to a destination that is not in [relay] DESTINATIONS (silently dropped)',
  },
  // R12
  {
    id: 'metric-prefix-mismatch',
    ref: 'R12',
    severity: 'warning',
    title: "The webapp's CARBON_METRIC_PREFIX is not the caches' self-metrics prefix",
  },
  // R13
  {
    id: 'routing-key-rewritten',
    ref: 'R13',
    severity: 'warning',
    title: 'Names are rewritten before hashing or storing, so tools that hash stored names disagree',
  },
  // R14
  {
    id: 'aggregation-rules-mismatch',
    ref: 'R14',
    severity: 'error',
    title: 'The aggregated-consistent-hashing relay and the aggregators use different aggregation rules',
  },
  // R15: carbon.conf parser hazards, and files no parser accepts
  { id: 'config-unparseable', ref: 'R15', severity: 'error', title: 'A config file is refused by the program that reads it' },
  {
    id: 'carbon-inline-comment',
    ref: 'R15',
    severity: 'warning',
    title: 'An inline # or ; comment in carbon.conf becomes part of the value',
  },
  {
    id: 'carbon-percent-interpolation',
    ref: 'R15',
    severity: 'error',
    title: 'A bare % or a bad %(name)s in carbon.conf makes configparser refuse the section',
  },
  { id: 'carbon-unknown-key', ref: 'R15', severity: 'warning', title: 'carbon.conf sets a key carbon never reads (typo or retired name)' },
  {
    id: 'carbon-destination-as-key',
    ref: 'R15',
    severity: 'error',
    title: 'An unindented continuation line of DESTINATIONS was read as a key',
  },
  { id: 'carbon-bad-value', ref: 'R15', severity: 'error', title: 'A carbon.conf value carbon cannot use (boolean, number, destination)' },
  {
    id: 'carbon-unknown-hash-type',
    ref: 'R15',
    severity: 'warning',
    title: 'ROUTER_HASH_TYPE is not carbon_ch, fnv1a_ch or mmh3_ch and silently falls back to md5',
  },
  { id: 'carbon-unknown-relay-method', ref: 'R15', severity: 'error', title: 'RELAY_METHOD is not a carbon router; carbon-relay exits' },
  { id: 'carbon-section-ignored', ref: 'R15', severity: 'warning', title: 'A carbon.conf section no carbon program reads' },
  {
    id: 'config-warning',
    ref: 'R15',
    severity: 'warning',
    title: 'Any other problem a config parser reports (accepted by the program, probably not meant)',
  },
  // R16
  { id: 'duplicate-ring-member', ref: 'R16', severity: 'error', title: 'One ring lists the same (server, instance) twice' },
  {
    id: 'crelay-cluster-invalid',
    ref: 'R16',
    severity: 'error',
    title: 'A carbon-c-relay cluster breaks the relay limits (replication, size, one instance per address)',
  },
  {
    id: 'relayng-route-invalid',
    ref: 'R16',
    severity: 'error',
    title: 'A carbon-relay-ng consistentHashing route cannot work as configured',
  },
  // R17
  { id: 'relay-rings-differ', ref: 'R17', severity: 'error', title: 'Relays at the same tier hold different rings' },
  // R18
  {
    id: 'tag-hashing-differs',
    ref: 'R18',
    severity: 'warning',
    title: 'Tagged series are hashed differently by the relay and by the readers',
  },
  // R19
  {
    id: 'storage-schemas-differ',
    ref: 'R19',
    severity: 'warning',
    title: 'storage-schemas.conf or storage-aggregation.conf differs between storage hosts',
  },
  // R20
  {
    id: 'dynamic-routing-strays',
    ref: 'R20',
    severity: 'info',
    title: 'Dynamic routing sends metrics to non-owners during outages (expected strays)',
  },
  // R21
  {
    id: 'tool-models-wrong-tier',
    ref: 'R21',
    severity: 'warning',
    title: 'In a two-tier relay layout, a tool or webapp models the wrong tier',
  },
  // Not a catalogue rule: an explicitly named file ringshift does not know.
  { id: 'file-not-recognized', ref: '-', severity: 'info', title: 'A file given on the command line is not a config ringshift lints' },
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleMeta(id: string): RuleMeta {
  const r = BY_ID.get(id);
  if (r === undefined) throw new Error(`unknown lint rule ${id}`);
  return r;
}

/** Catalogue numbers configs.md §9 defines. */
export const CATALOGUE_REFS: readonly string[] = Array.from({ length: 21 }, (_, i) => `R${i + 1}`);
