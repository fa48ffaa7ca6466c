// loadRingSpec: the ring from any supported config file, its format detected from the content (or forced
// with --ring-format): the upstream programs' configs (upstream-ring.ts) and ringshift's own cluster file. Every
// loader keeps file:line on the destinations and throws ConfigError with file:line and what was expected
// when the file cannot give a ring.
import { ConfigError } from '../errors.js';
import type { RingSpec } from '../ring/types.js';
import { parseClusterFile } from './cluster-file.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import type { RingFormat } from './formats.js';
import {
  chooseRingFormat,
  readRingConfig,
  requireDestinations,
  upstreamRing,
  type ChosenFormat,
  type LoadRingOptions,
} from './upstream-ring.js';

export { RING_FORMATS, type RingFormat } from './formats.js';
export type { LoadRingOptions } from './upstream-ring.js';

export interface LoadedRing {
  spec: RingSpec;
  format: RingFormat;
  /** Absolute path of the file read. */
  file: string;
  /** How the format was chosen. */
  detectedBy: ChosenFormat['detectedBy'];
  /** Everything worth telling about this ring's source (env dependence, unusual settings, ...). */
  diagnostics: ConfigDiagnostic[];
}

/** Read a ring from any supported config file. Throws ConfigError with file:line on bad input. */
export async function loadRingSpec(path: string, opts: LoadRingOptions = {}): Promise<RingSpec> {
  return loadRing(path, opts).spec;
}

/** loadRingSpec with the format and the diagnostics. */
export function loadRing(path: string, opts: LoadRingOptions = {}): LoadedRing {
  const { file, text } = readRingConfig(path);
  return ringFromText(text, file, opts);
}

/** The same from text already read (`file` is used for messages and relative paths). */
export function ringFromText(text: string, file: string, opts: LoadRingOptions = {}): LoadedRing {
  const { format, detectedBy } = chooseRingFormat(text, file, opts.format);
  let spec: RingSpec;
  let diagnostics: ConfigDiagnostic[];
  if (format === 'cluster') {
    if (opts.cluster !== undefined) {
      throw new ConfigError('--cluster-name does not apply to a ringshift cluster file', {
        file,
        expected: 'ring.cluster inside the file (with ring.source)',
      });
    }
    const cf = parseClusterFile(text, file);
    spec = cf.ring;
    diagnostics = cf.diagnostics ?? [];
  } else {
    ({ spec, diagnostics } = upstreamRing(text, file, format, opts));
  }
  requireDestinations(spec, file);
  return { spec, format, file, detectedBy, diagnostics };
}
