// carbonate.conf (configs.md §7): RawConfigParser (no interpolation, values kept as written), one section
// per cluster, `main` by default. Quirks kept: spaces are removed from DESTINATIONS before splitting, and
// DIVERSE_REPLICAS / WHISPER_LOCK_WRITES go through bool() of the string, so "False" counts as true.
import { ConfigError } from '../errors.js';
import { parseCarbonDestination } from '../ring/destination.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, HashType, RingSpec } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';
import { iniOption, lineAtOffset, parseIni, type IniFile, type IniOption } from './ini.js';
import { didYouMean, pyInt, pyStrip } from './python/pytext.js';

export interface CarbonateConf {
  file: string;
  ini: IniFile;
  /** Section names = cluster names, in file order. */
  clusters: string[];
}

export interface CarbonateCluster {
  name: string;
  line: number;
  destinations: { text: string; line: number; destination: Destination }[];
  replicationFactor: { value: number; line: number };
  /** RELAY_METHOD, default consistent-hashing. */
  relayMethod: { value: string; line: number | null };
  /** HASHING_TYPE as written (default carbon_ch). */
  hashingType: { value: string; line: number | null };
  /** bool() of the raw string (absent: true). */
  diverseReplicas: { value: boolean; raw: string | null; line: number | null };
  /** bool() of the raw string (absent: false). */
  whisperLockWrites: { value: boolean; raw: string | null; line: number | null };
  sshUser: string | null;
  diagnostics: ConfigDiagnostic[];
}

const KNOWN_KEYS = [
  'destinations',
  'replication_factor',
  'relay_method',
  'hashing_type',
  'diverse_replicas',
  'ssh_user',
  'whisper_lock_writes',
];

export function parseCarbonateConf(text: string, file: string): CarbonateConf {
  const ini = parseIni(text, { file, interpolation: 'none' });
  return { file, ini, clusters: ini.sections.map((s) => s.name) };
}

/** The cluster as carbonate's Config reads it; throws ConfigError where carbonate exits. */
export function carbonateCluster(conf: CarbonateConf, name = 'main'): CarbonateCluster {
  const file = conf.file;
  const section = conf.ini.sections.find((s) => s.name === name);
  if (section === undefined) {
    throw new ConfigError(`Cluster '${name}' not defined in ${file}`, {
      file,
      expected: conf.clusters.length > 0 ? `one of: ${conf.clusters.join(', ')}` : 'a [cluster] section',
    });
  }
  const sink = new DiagnosticSink(file);
  const opt = (k: string): IniOption | undefined => iniOption(conf.ini, name, k);
  for (const o of section.options.values()) {
    if (!KNOWN_KEYS.includes(o.key)) {
      const suggestions = didYouMean(
        o.key.toUpperCase(),
        KNOWN_KEYS.map((k) => k.toUpperCase()),
      );
      sink.warn(
        'unknown-key',
        o.line,
        `unknown key ${o.rawKey}: carbonate never reads it` + (suggestions.length ? ` (did you mean ${suggestions.join(' or ')}?)` : ''),
        {
          key: o.rawKey,
          suggestions,
        },
      );
    }
    for (const part of o.parts) {
      const m = /(^|\s)([#;].*)$/.exec(part.text);
      if (m)
        sink.warn(
          'inline-comment',
          part.line,
          `${o.rawKey}: ${JSON.stringify(m[2])} is part of the value (RawConfigParser keeps inline comments)`,
          { key: o.rawKey },
        );
    }
  }

  const destOpt = opt('destinations');
  if (destOpt === undefined) {
    throw new ConfigError(`[${name}] has no DESTINATIONS (NoOptionError)`, {
      file,
      line: section.line,
      expected: 'DESTINATIONS = host:port[:instance], ...',
    });
  }
  const destinations: CarbonateCluster['destinations'] = [];
  let offset = 0;
  for (const piece of destOpt.raw.split(',')) {
    // carbonate removes every space (only spaces) before splitting; parseDestination then strips the rest.
    const text = piece.replaceAll(' ', '');
    const lead = piece.length - piece.trimStart().length;
    const line = lineAtOffset(destOpt, offset + lead);
    offset += piece.length + 1;
    if (pyStrip(text) === '') {
      throw new ConfigError('Unable to parse destinations! empty item (a stray or trailing comma?)', {
        file,
        line,
        expected: 'host:port[:instance] between commas',
      });
    }
    destinations.push({ text: pyStrip(text), line, destination: parseCarbonDestination(text, { file, line }) });
  }
  checkDuplicates(destinations, sink);

  const rfOpt = opt('replication_factor');
  if (rfOpt === undefined) {
    throw new ConfigError(`[${name}] has no REPLICATION_FACTOR (NoOptionError)`, {
      file,
      line: section.line,
      expected: 'REPLICATION_FACTOR = <int>',
    });
  }
  const rf = pyInt(rfOpt.raw);
  if (rf === undefined) {
    throw new ConfigError(`REPLICATION_FACTOR = ${JSON.stringify(rfOpt.raw)} is not an integer (int() fails)`, {
      file,
      line: rfOpt.line,
      expected: 'an integer',
    });
  }

  const rawOf = (k: string) => {
    const o = opt(k);
    return { raw: o === undefined ? null : o.raw, line: o === undefined ? null : o.line };
  };
  const rm = rawOf('relay_method');
  const relayMethod = { value: rm.raw ?? 'consistent-hashing', line: rm.line };
  if (relayMethod.value === 'aggregated-consistent-hashing') {
    sink.info(
      'aggregated-routing',
      rm.line,
      'RELAY_METHOD = aggregated-consistent-hashing: carbonate needs the aggregation rules (-a) to route like the relay',
    );
  } else if (relayMethod.value !== 'consistent-hashing') {
    sink.warn(
      'unknown-relay-method',
      rm.line,
      `RELAY_METHOD = ${relayMethod.value}: carbonate treats anything but aggregated-consistent-hashing as consistent-hashing`,
    );
  }
  const ht = rawOf('hashing_type');
  const hashingType = { value: ht.raw ?? 'carbon_ch', line: ht.line };
  const boolOf = (k: string, dflt: boolean): { value: boolean; raw: string | null; line: number | null } => {
    const r = rawOf(k);
    if (r.raw === null) return { value: dflt, raw: null, line: null };
    const value = r.raw !== '';
    if (['false', '0', 'no', 'off'].includes(r.raw.toLowerCase())) {
      sink.warn(
        'bool-of-string',
        r.line,
        `${k.toUpperCase()} = ${r.raw}: carbonate passes the string to bool(), so any non-empty value (even "${r.raw}") means True`,
        {
          key: k.toUpperCase(),
          raw: r.raw,
        },
      );
    }
    return { value, raw: r.raw, line: r.line };
  };
  return {
    name,
    line: section.line,
    destinations,
    replicationFactor: { value: Number(rf), line: rfOpt.line },
    relayMethod,
    hashingType,
    diverseReplicas: boolOf('diverse_replicas', true),
    whisperLockWrites: boolOf('whisper_lock_writes', false),
    sshUser: opt('ssh_user')?.raw ?? null,
    diagnostics: sink.items,
  };
}

function checkDuplicates(ds: CarbonateCluster['destinations'], sink: DiagnosticSink): void {
  const seen = new Map<string, number>();
  for (const d of ds) {
    const k = `${d.destination.server}\0${d.destination.instance ?? '\0'}`;
    const prev = seen.get(k);
    if (prev !== undefined) {
      sink.error(
        'duplicate-destination',
        d.line,
        `${d.text}: (${d.destination.server}, ${d.destination.instance ?? 'None'}) is already configured (line ${prev}); carbon's router refuses it`,
        {
          item: d.text,
        },
      );
    } else seen.set(k, d.line);
  }
}

export interface CarbonateRing {
  spec: RingSpec;
  cluster: CarbonateCluster;
  diagnostics: ConfigDiagnostic[];
}

const CARBON_HASHES = ['carbon_ch', 'fnv1a_ch', 'mmh3_ch'];

/** The ring carbonate builds (with the installed carbon's hashing) for a cluster. */
export function carbonateRing(conf: CarbonateConf, name = 'main'): CarbonateRing {
  const c = carbonateCluster(conf, name);
  const sink = new DiagnosticSink(conf.file);
  sink.items.push(...c.diagnostics);
  let hash: HashType = 'carbon_ch';
  if (CARBON_HASHES.includes(c.hashingType.value)) hash = c.hashingType.value as HashType;
  else {
    sink.warn(
      'unknown-hash-type',
      c.hashingType.line,
      `HASHING_TYPE = ${c.hashingType.value} is not carbon_ch, fnv1a_ch or mmh3_ch: carbon hashes it with md5 (carbon_ch)`,
      {
        suggestions: didYouMean(c.hashingType.value, CARBON_HASHES),
      },
    );
  }
  const spec = makeRingSpec({
    impl: 'carbon',
    hash,
    router: 'consistent-hashing',
    destinations: c.destinations.map((d) => d.destination),
    replication: c.replicationFactor.value,
    diverse: c.diverseReplicas.value,
    tagRelayNormalized: false,
    sanitize: false,
    origin: { file: conf.file, line: c.line, cluster: name, format: 'carbonate' },
  });
  return { spec, cluster: c, diagnostics: sink.items };
}
