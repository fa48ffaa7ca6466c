// loadRingSpec: the ring from any supported config file, its format detected from the content (or forced
// with --ring-format). Every loader keeps file:line on the destinations and throws ConfigError with file:line
// and what was expected when the file cannot give a ring.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { RingSpec } from '../ring/types.js';
import { buckyRing, parseBuckyArgv } from './bucky-argv.js';
import { carbonRing, parseCarbonConf } from './carbon-conf.js';
import { carbonateRing, parseCarbonateConf } from './carbonate-conf.js';
import { parseClusterFile } from './cluster-file.js';
import { crelayRing, parseCrelayConfig } from './crelay-conf.js';
import { detectFormat, type DetectedFormat } from './detect.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import { graphiteWebRing, parsePySettings } from './pysettings.js';

import { RING_FORMATS, type RingFormat } from './formats.js';
export { RING_FORMATS, type RingFormat } from './formats.js';

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
}

export interface LoadedRing {
  spec: RingSpec;
  format: RingFormat;
  /** Absolute path of the file read. */
  file: string;
  /** How the format was chosen. */
  detectedBy: 'content' | 'option';
  /** Everything worth telling about this ring's source (env dependence, unusual settings, ...). */
  diagnostics: ConfigDiagnostic[];
}

/** Read a ring from any supported config file. Throws ConfigError with file:line on bad input. */
export async function loadRingSpec(path: string, opts: LoadRingOptions = {}): Promise<RingSpec> {
  return loadRing(path, opts).spec;
}

export function loadRingSpecSync(path: string, opts: LoadRingOptions = {}): RingSpec {
  return loadRing(path, opts).spec;
}

/** loadRingSpec with the format and the diagnostics. */
export function loadRing(path: string, opts: LoadRingOptions = {}): LoadedRing {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ring config: ${(e as Error).message}`, { file: path, expected: 'a readable config file' });
  }
  return ringFromText(text, file, opts);
}

/** The same from text already read (`file` is used for messages and relative paths). */
export function ringFromText(text: string, file: string, opts: LoadRingOptions = {}): LoadedRing {
  let format: RingFormat;
  let detectedBy: LoadedRing['detectedBy'] = 'option';
  if (opts.format !== undefined) {
    if (!(RING_FORMATS as readonly string[]).includes(opts.format)) {
      throw new ConfigError(`unknown format ${JSON.stringify(opts.format)}`, { expected: RING_FORMATS.join(', ') });
    }
    format = opts.format;
  } else {
    const d = detectFormat(text);
    if (!(RING_FORMATS as readonly DetectedFormat[]).includes(d.format)) {
      throw new ConfigError(`cannot read a ring from this file: ${describeDetected(d.format)} (${d.reason})`, {
        file,
        expected: `a config with a hash ring (${RING_FORMATS.join(', ')}); use --ring-format to force one`,
      });
    }
    format = d.format as RingFormat;
    detectedBy = 'content';
  }
  const envOpt = opts.env !== undefined ? { env: opts.env } : {};
  let spec: RingSpec;
  let diagnostics: ConfigDiagnostic[];
  switch (format) {
    case 'carbon': {
      const conf = parseCarbonConf(text, file);
      const r = carbonRing(conf, { ...envOpt, ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}) });
      spec = r.spec;
      diagnostics = r.diagnostics;
      break;
    }
    case 'graphite-web': {
      const r = graphiteWebRing(parsePySettings(text, { file, ...envOpt }));
      spec = r.spec;
      diagnostics = r.diagnostics;
      break;
    }
    case 'carbon-c-relay': {
      const cfg = parseCrelayConfig(text, file, opts.includeBase !== undefined ? { includeBase: opts.includeBase } : {});
      const r = crelayRing(cfg, opts.cluster);
      spec = r.spec;
      diagnostics = r.diagnostics;
      break;
    }
    case 'carbonate': {
      const r = carbonateRing(parseCarbonateConf(text, file), opts.cluster ?? 'main');
      spec = r.spec;
      diagnostics = r.diagnostics;
      break;
    }
    case 'cluster': {
      if (opts.cluster !== undefined) {
        throw new ConfigError('--cluster-name does not apply to a ringshift cluster file', {
          file,
          expected: 'ring.cluster inside the file (with ring.source)',
        });
      }
      const cf = parseClusterFile(text, file);
      spec = cf.ring;
      diagnostics = cf.diagnostics ?? [];
      break;
    }
    case 'bucky': {
      const r = buckyRing(parseBuckyArgv(text, file), file, opts.cluster);
      spec = r.spec;
      diagnostics = r.diagnostics;
      break;
    }
  }
  if (spec.destinations.length === 0) throw new ConfigError('the ring has no destinations', { file, expected: 'at least one ring member' });
  return { spec, format, file, detectedBy, diagnostics };
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
