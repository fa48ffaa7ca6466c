// Which config format a file is, from its content (never its name): a ringshift cluster file, a buckyd
// command line, a carbon-c-relay config, an INI file (carbon.conf, carbonate.conf, relay-rules.conf), a
// TOML file (carbon-relay-ng, go-carbon), aggregation rules, or a Python settings module.
import { parse as parseToml } from 'smol-toml';
import { hasBuckydCommand } from './bucky-argv.js';
import { splitLines } from './ini.js';

export type DetectedFormat =
  | 'carbon'
  | 'graphite-web'
  | 'carbon-c-relay'
  | 'carbonate'
  | 'cluster'
  | 'bucky'
  | 'relay-rules'
  | 'aggregation-rules'
  | 'carbon-relay-ng'
  | 'go-carbon'
  | 'unknown';

export interface Detection {
  format: DetectedFormat;
  /** Why, in a few words (for error messages). */
  reason: string;
}

const CARBON_SECTION = /^(cache|relay|aggregator|aggregator-cache)(:.+)?$/;
/** A line that starts a carbon-c-relay statement. */
const CRELAY_START =
  /^\s*(cluster\s+\S+(\s+(forward|any_of|failover|carbon_ch|fnv1a_ch|jump_fnv1a_ch|file)\b|\s*$)|cluster\s*$|match(\s|$)|rewrite(\s|$)|aggregate(\s|$)|listen(\s|$)|statistics(\s|$|;)|send\s+statistics\b|include\s+\S)/;

export function detectFormat(text: string): Detection {
  const lines = splitLines(text);
  const significant = lines.filter((l) => !/^\s*([#;].*)?$/.test(l));
  if (significant.length === 0) return { format: 'unknown', reason: 'the file has no content' };

  if (lines.some((l) => /^ring\s*:/.test(l))) return { format: 'cluster', reason: 'a top-level `ring:` key (ringshift cluster file)' };
  if (hasBuckydCommand(text)) return { format: 'bucky', reason: 'a buckyd command line' };

  const first = significant[0]!.trim();
  const isIniLike = first.startsWith('[') && first.includes(']');
  if (
    !isIniLike &&
    significant.some((l) => CRELAY_START.test(stripHashComment(l)) && !/:\s*$/.test(l) && !/^\s*[A-Za-z_]+\s*[=:]/.test(l))
  ) {
    return { format: 'carbon-c-relay', reason: 'carbon-c-relay statements (cluster, match, rewrite, ...)' };
  }

  const toml = tryToml(text);
  if (toml !== undefined) {
    if ('route' in toml || 'init' in toml || 'listen_addr' in toml || 'admin_addr' in toml)
      return { format: 'carbon-relay-ng', reason: 'TOML with carbon-relay-ng keys' };
    if ('whisper' in toml || 'carbonlink' in toml || 'carbonserver' in toml)
      return { format: 'go-carbon', reason: 'TOML with go-carbon sections' };
    const keys = Object.keys(toml);
    const literalSettings =
      keys.length > 0 &&
      keys.every((k) => /^[A-Z_][A-Z0-9_]*$/.test(k) && (typeof toml[k] !== 'object' || Array.isArray(toml[k]))) &&
      !isIniLike;
    if (literalSettings) return { format: 'graphite-web', reason: 'Python-style UPPERCASE assignments (local_settings.py)' };
    if (!isIniLike) return { format: 'unknown', reason: 'a TOML file of no known program' };
  }
  if (isIniLike) {
    const sections = lines.map((l) => /^\s*\[(.+)\]/.exec(l.trim())?.[1]).filter((x): x is string => x !== undefined);
    if (sections.some((x) => CARBON_SECTION.test(x)))
      return { format: 'carbon', reason: 'INI with carbon program sections ([cache], [relay], ...)' };
    const keys = new Set(
      lines.map((l) => /^([A-Za-z_][A-Za-z0-9_]*)\s*[=:]/.exec(l)?.[1]?.toLowerCase()).filter((k): k is string => k !== undefined),
    );
    if (keys.has('replication_factor') || keys.has('hashing_type'))
      return { format: 'carbonate', reason: 'INI sections with DESTINATIONS and REPLICATION_FACTOR (carbonate)' };
    if (keys.has('destinations') && (keys.has('pattern') || keys.has('default')))
      return { format: 'relay-rules', reason: 'INI sections with pattern/default and destinations (relay-rules.conf)' };
    if (keys.has('destinations')) return { format: 'carbonate', reason: 'INI sections with DESTINATIONS' };
    return { format: 'unknown', reason: `INI or TOML sections [${sections.slice(0, 6).join('], [')}] of no known program` };
  }
  if (lines.some((l) => /^\s*(listen_addr|admin_addr|http_addr)\s*=/.test(l)) || lines.some((l) => /^\s*\[\[route\]\]/.test(l))) {
    return { format: 'carbon-relay-ng', reason: 'carbon-relay-ng keys (a TOML template that does not parse as is)' };
  }
  if (significant.every((l) => /^\s*\S+\s+\(\s*[0-9]+\s*\)\s*=\s*\S+\s+\S+\s*$/.test(l))) {
    return { format: 'aggregation-rules', reason: 'lines `output (frequency) = method input`' };
  }
  if (significant.some((l) => /^[A-Z_][A-Z0-9_]*\s*(=|\+=)/.test(l) || /^(import|from)\s+[A-Za-z_]/.test(l))) {
    return { format: 'graphite-web', reason: 'Python assignments (local_settings.py)' };
  }
  return { format: 'unknown', reason: 'no known config syntax' };
}

function stripHashComment(line: string): string {
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"' && line[i - 1] !== '\\') inQuote = !inQuote;
    if (c === '#' && !inQuote) return line.slice(0, i);
  }
  return line;
}

function tryToml(text: string): Record<string, unknown> | undefined {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
