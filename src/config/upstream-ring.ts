// The ring as an upstream program reads it from its own config file: carbon.conf (carbon-relay, aggregator),
// graphite-web's local_settings.py, carbon-c-relay, carbonate.conf, buckyd's command line. A cluster file's
// `ring.source` points at one of these; load.ts adds ringshift's own cluster file on top. Keeping the upstream
// formats here is what lets cluster-file.ts read its source without importing load.ts (no import cycle).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { RingSpec } from '../ring/types.js';
import { buckyRing, parseBuckyArgv } from './bucky-argv.js';
import { parseCarbonConf } from './carbon-conf.js';
import { carbonRoutedRing } from './carbon-routing.js';
import { carbonateRing, parseCarbonateConf } from './carbonate-conf.js';
import { crelayRing, parseCrelayConfig } from './crelay-conf.js';
import { detectFormat, type DetectedFormat } from './detect.js';
import { relayngRing } from './relayng-routing.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import { RING_FORMATS, type RingFormat } from './formats.js';
import { graphiteWebRing, parsePySettings } from './python/pysettings.js';

/** The formats of upstream programs' configs: every ring format but ringshift's own cluster file. */
export type UpstreamFormat = Exclude<RingFormat, 'cluster'>;

export interface LoadRingOptions {
  /** Override content-based format detection. */
  format?: RingFormat | undefined;
  /**
   * Cluster to use in multi-cluster files (c-relay: cluster name; carbonate: section, default main;
   * carbon.conf: relay (default), relay:N or N, aggregator[:N]; buckyd: -node value or command index).
   */
  cluster?: string | undefined;
  /** Environment for graphite-web's os.environ lookups and carbon's GRAPHITE_ROOT (never process.env implicitly). */
  env?: Readonly<Record<string, string>> | undefined;
  /** carbon-c-relay: directory relative includes resolve against (default: the including file's directory). */
  includeBase?: string | undefined;
  /** carbon-relay with RELAY_METHOD = rules: its relay-rules.conf (default: beside carbon.conf, as carbon-relay --rules). */
  relayRules?: string | undefined;
  /** carbon-relay with an aggregated RELAY_METHOD: its aggregation-rules.conf (default: beside carbon.conf). */
  aggregationRules?: string | undefined;
}

export interface ChosenFormat {
  format: RingFormat;
  /** How the format was chosen. */
  detectedBy: 'content' | 'option';
}

/** The text of a ring config file, with its absolute path; a one-line ConfigError when it cannot be read. */
export function readRingConfig(path: string): { file: string; text: string } {
  const file = resolve(path);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    throw new ConfigError(`cannot read ring config: ${(e as Error).message}`, { file: path, expected: 'a readable config file' });
  }
}

/** The format `forced` names (checked), or the one detected from the content (a ring format, else ConfigError). */
export function chooseRingFormat(text: string, file: string, forced: RingFormat | undefined): ChosenFormat {
  if (forced !== undefined) {
    if (!(RING_FORMATS as readonly string[]).includes(forced)) {
      throw new ConfigError(`unknown format ${JSON.stringify(forced)}`, { expected: RING_FORMATS.join(', ') });
    }
    return { format: forced, detectedBy: 'option' };
  }
  const d = detectFormat(text);
  if (!(RING_FORMATS as readonly DetectedFormat[]).includes(d.format)) {
    throw new ConfigError(`cannot read a ring from this file: ${describeDetected(d.format)} (${d.reason})`, {
      file,
      expected: `a config with a hash ring (${RING_FORMATS.join(', ')}); use --ring-format to force one`,
    });
  }
  return { format: d.format as RingFormat, detectedBy: 'content' };
}

/** The ring an upstream config gives, as that program computes it, with what is worth telling about it. */
export function upstreamRing(
  text: string,
  file: string,
  format: UpstreamFormat,
  opts: LoadRingOptions = {},
): { spec: RingSpec; diagnostics: ConfigDiagnostic[] } {
  const envOpt = opts.env !== undefined ? { env: opts.env } : {};
  switch (format) {
    case 'carbon':
      return carbonRoutedRing(parseCarbonConf(text, file), {
        ...envOpt,
        ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}),
        relayRules: opts.relayRules,
        aggregationRules: opts.aggregationRules,
      });
    case 'graphite-web':
      return graphiteWebRing(parsePySettings(text, { file, ...envOpt }));
    case 'carbon-c-relay': {
      const cfg = parseCrelayConfig(text, file, opts.includeBase !== undefined ? { includeBase: opts.includeBase } : {});
      return crelayRing(cfg, opts.cluster);
    }
    case 'carbonate':
      return carbonateRing(parseCarbonateConf(text, file), opts.cluster ?? 'main');
    case 'bucky':
      return buckyRing(parseBuckyArgv(text, file), file, opts.cluster);
    case 'carbon-relay-ng':
      return relayngRing(text, file, envOpt);
  }
}

/**
 * The ring of an upstream config file (a cluster file's `ring.source`). Another ringshift cluster file is
 * refused: a cluster file's ring comes from the program that routes the metrics.
 */
export function loadUpstreamRingSpec(path: string, opts: LoadRingOptions = {}): RingSpec {
  const { file, text } = readRingConfig(path);
  const { format } = chooseRingFormat(text, file, opts.format);
  if (format === 'cluster') {
    throw new ConfigError('ring.source is another ringshift cluster file', {
      file,
      expected:
        "the config of the program that routes the metrics (carbon.conf, local_settings.py, carbon-c-relay's, carbonate.conf, buckyd's)",
    });
  }
  return requireDestinations(upstreamRing(text, file, format, opts).spec, file);
}

/** `spec`, unless it has no destinations (ConfigError naming the file). */
export function requireDestinations(spec: RingSpec, file: string): RingSpec {
  if (spec.destinations.length === 0) throw new ConfigError('the ring has no destinations', { file, expected: 'at least one ring member' });
  return spec;
}

function describeDetected(f: DetectedFormat): string {
  switch (f) {
    case 'relay-rules':
      return 'it looks like carbon relay-rules.conf (rules, not a hash ring)';
    case 'aggregation-rules':
      return 'it looks like carbon aggregation-rules.conf';
    case 'carbon-relay-ng':
      return 'it looks like a carbon-relay-ng config (its routes are read by relayng-conf, not as a ring here)';
    case 'go-carbon':
      return 'it looks like a go-carbon config (go-carbon has no ring)';
    default:
      return 'its format is not recognised';
  }
}
