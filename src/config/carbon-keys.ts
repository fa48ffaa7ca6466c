// carbon.conf keys carbon reads (lib/carbon/conf.py `defaults` plus the keys read elsewhere, configs.md §1.1).
// The kind decides how carbon types a value: list → split on ',' and strip; bool → getboolean; anything
// else (str, int, float, None defaults and unknown keys) → int(), else float(), else the string.

export type CarbonKeyKind = 'list' | 'bool' | 'auto';

export type CarbonDefault = string | number | boolean | null | string[];

interface KeyDef {
  kind: CarbonKeyKind;
  default: CarbonDefault;
}

function def(kind: CarbonKeyKind, value: CarbonDefault): KeyDef {
  return { kind, default: value };
}

/** conf.py `defaults` (carbon 1.1.x/1.2). */
export const CARBON_DEFAULTS: ReadonlyMap<string, KeyDef> = new Map<string, KeyDef>([
  ['USER', def('auto', '')],
  ['MAX_CACHE_SIZE', def('auto', Infinity)],
  ['MAX_UPDATES_PER_SECOND', def('auto', 500)],
  ['MAX_CREATES_PER_MINUTE', def('auto', Infinity)],
  ['MIN_TIMESTAMP_RESOLUTION', def('auto', 0)],
  ['MIN_TIMESTAMP_LAG', def('auto', 0)],
  ['LINE_RECEIVER_INTERFACE', def('auto', '0.0.0.0')],
  ['LINE_RECEIVER_PORT', def('auto', 2003)],
  ['ENABLE_UDP_LISTENER', def('bool', false)],
  ['UDP_RECEIVER_INTERFACE', def('auto', '0.0.0.0')],
  ['UDP_RECEIVER_PORT', def('auto', 2003)],
  ['PICKLE_RECEIVER_INTERFACE', def('auto', '0.0.0.0')],
  ['PICKLE_RECEIVER_PORT', def('auto', 2004)],
  ['MAX_RECEIVER_CONNECTIONS', def('auto', Infinity)],
  ['CACHE_QUERY_INTERFACE', def('auto', '0.0.0.0')],
  ['CACHE_QUERY_PORT', def('auto', 7002)],
  ['LOG_UPDATES', def('bool', true)],
  ['LOG_CREATES', def('bool', true)],
  ['LOG_CACHE_HITS', def('bool', true)],
  ['LOG_CACHE_QUEUE_SORTS', def('bool', true)],
  ['DATABASE', def('auto', 'whisper')],
  ['WHISPER_AUTOFLUSH', def('bool', false)],
  ['WHISPER_SPARSE_CREATE', def('bool', false)],
  ['WHISPER_FALLOCATE_CREATE', def('bool', false)],
  ['WHISPER_LOCK_WRITES', def('bool', false)],
  ['WHISPER_FADVISE_RANDOM', def('bool', false)],
  ['CERES_MAX_SLICE_GAP', def('auto', 80)],
  ['CERES_NODE_CACHING_BEHAVIOR', def('auto', 'all')],
  ['CERES_SLICE_CACHING_BEHAVIOR', def('auto', 'latest')],
  ['CERES_LOCK_WRITES', def('bool', false)],
  ['MAX_DATAPOINTS_PER_MESSAGE', def('auto', 500)],
  ['MAX_AGGREGATION_INTERVALS', def('auto', 5)],
  ['FORWARD_ALL', def('bool', true)],
  ['MAX_QUEUE_SIZE', def('auto', 1000)],
  ['MAX_QUEUE_SIZE_HARD_PCT', def('auto', 1.25)],
  ['QUEUE_LOW_WATERMARK_PCT', def('auto', 0.8)],
  ['TIME_TO_DEFER_SENDING', def('auto', 0.0001)],
  ['ENABLE_AMQP', def('bool', false)],
  ['AMQP_METRIC_NAME_IN_BODY', def('bool', false)],
  ['AMQP_VERBOSE', def('bool', false)],
  ['AMQP_SPEC', def('auto', null)],
  ['BIND_PATTERNS', def('list', ['#'])],
  ['GRAPHITE_URL', def('auto', 'http://127.0.0.1:80')],
  ['ENABLE_TAGS', def('bool', true)],
  ['SKIP_TAGS_FOR_NONTAGGED', def('bool', true)],
  ['TAG_UPDATE_INTERVAL', def('auto', 100)],
  ['TAG_BATCH_SIZE', def('auto', 100)],
  ['TAG_QUEUE_SIZE', def('auto', 10000)],
  ['TAG_HASH_FILENAMES', def('bool', true)],
  ['TAG_RELAY_NORMALIZED', def('bool', false)],
  ['ENABLE_MANHOLE', def('bool', false)],
  ['MANHOLE_INTERFACE', def('auto', '127.0.0.1')],
  ['MANHOLE_PORT', def('auto', 7222)],
  ['MANHOLE_USER', def('auto', '')],
  ['MANHOLE_PUBLIC_KEY', def('auto', '')],
  ['MANHOLE_HOST_KEY_DIR', def('auto', '')],
  ['RELAY_METHOD', def('auto', 'rules')],
  ['DYNAMIC_ROUTER', def('bool', false)],
  ['DYNAMIC_ROUTER_MAX_RETRIES', def('auto', 5)],
  ['ROUTER_HASH_TYPE', def('auto', null)],
  ['REPLICATION_FACTOR', def('auto', 1)],
  ['DIVERSE_REPLICAS', def('bool', true)],
  ['DESTINATIONS', def('list', [])],
  ['DESTINATION_PROTOCOL', def('auto', 'pickle')],
  ['DESTINATION_TRANSPORT', def('auto', 'none')],
  ['DESTINATION_SSL_CA', def('auto', null)],
  ['DESTINATION_POOL_REPLICAS', def('bool', false)],
  ['USE_FLOW_CONTROL', def('bool', true)],
  ['USE_INSECURE_UNPICKLER', def('bool', false)],
  ['USE_WHITELIST', def('bool', false)],
  ['CARBON_METRIC_PREFIX', def('auto', 'carbon')],
  ['CARBON_METRIC_INTERVAL', def('auto', 60)],
  ['CACHE_WRITE_STRATEGY', def('auto', 'sorted')],
  ['WRITE_BACK_FREQUENCY', def('auto', null)],
  ['MIN_RESET_STAT_FLOW', def('auto', 1000)],
  ['MIN_RESET_RATIO', def('auto', 0.9)],
  ['MIN_RESET_INTERVAL', def('auto', 121)],
  ['TCP_KEEPALIVE', def('bool', true)],
  ['TCP_KEEPIDLE', def('auto', 10)],
  ['TCP_KEEPINTVL', def('auto', 30)],
  ['TCP_KEEPCNT', def('auto', 2)],
  ['USE_RATIO_RESET', def('bool', false)],
  ['LOG_LISTENER_CONN_LOST', def('bool', false)],
  ['LOG_LISTENER_CONN_SUCCESS', def('bool', true)],
  ['LOG_AGGREGATOR_MISSES', def('bool', true)],
  ['AGGREGATION_RULES', def('auto', 'aggregation-rules.conf')],
  ['REWRITE_RULES', def('auto', 'rewrite-rules.conf')],
  ['RELAY_RULES', def('auto', 'relay-rules.conf')],
  ['ENABLE_LOGROTATION', def('bool', true)],
  ['METRIC_CLIENT_IDLE_TIMEOUT', def('auto', null)],
  ['CACHE_METRIC_NAMES_MAX', def('auto', 0)],
  ['CACHE_METRIC_NAMES_TTL', def('auto', 0)],
  ['RAVEN_DSN', def('auto', null)],
  ['PICKLE_RECEIVER_MAX_LENGTH', def('auto', 1048576)],
  ['RELAY_CACHE_METRICS', def('bool', false)],
]);

/** Keys read by carbon outside `defaults` (paths, AMQP, generic receivers). Typed 'auto'. */
export const CARBON_EXTRA_KEYS: readonly string[] = [
  'STORAGE_DIR',
  'LOCAL_DATA_DIR',
  'CONF_DIR',
  'LOG_DIR',
  'PID_DIR',
  'WHITELISTS_DIR',
  'MAX_UPDATES_PER_SECOND_ON_SHUTDOWN',
  'AMQP_HOST',
  'AMQP_PORT',
  'AMQP_USER',
  'AMQP_PASSWORD',
  'AMQP_VHOST',
  'AMQP_EXCHANGE',
  ...['LINE', 'UDP', 'PICKLE', 'PROTOBUF'].flatMap((p) => [`${p}_RECEIVER_INTERFACE`, `${p}_RECEIVER_PORT`]),
];

export const CARBON_KNOWN_KEYS: ReadonlySet<string> = new Set([...CARBON_DEFAULTS.keys(), ...CARBON_EXTRA_KEYS]);

export function carbonKeyKind(key: string): CarbonKeyKind {
  return CARBON_DEFAULTS.get(key)?.kind ?? 'auto';
}

/** Keys whose default is a number: a value that stays a string there is almost certainly a mistake. */
export function carbonKeyIsNumeric(key: string): boolean {
  const d = CARBON_DEFAULTS.get(key);
  if (d !== undefined) return typeof d.default === 'number';
  return /_PORT$/.test(key);
}

/** RELAY_METHOD values carbon-relay accepts (DatapointRouter plugins). */
export const RELAY_METHODS = [
  'rules',
  'consistent-hashing',
  'aggregated-consistent-hashing',
  'fast-hashing',
  'fast-aggregated-hashing',
  'constant',
] as const;
export type RelayMethod = (typeof RELAY_METHODS)[number];

/** ROUTER_HASH_TYPE values carbonHash knows; anything else silently hashes like carbon_ch (md5). */
export const CARBON_HASH_TYPES = ['carbon_ch', 'fnv1a_ch', 'mmh3_ch'] as const;

/** Program sections: carbon-<program> reads [<program>] and [<program>:<instance>]. */
export const CARBON_PROGRAMS = ['cache', 'relay', 'aggregator', 'aggregator-cache'] as const;
export type CarbonProgram = (typeof CARBON_PROGRAMS)[number];
