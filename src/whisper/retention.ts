// Retention definitions (`10s:6h`, `60:1440`) as whisper.parseRetentionDef reads them, and whisper's
// creation rules for an archive list (whisper-spec.md §2).
import { WhisperUsageError } from './errors.js';

const UNITS: [string, number][] = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
  ['weeks', 86400 * 7],
  ['years', 86400 * 365],
];

const RETENTION_SYNTAX = 'PRECISION:DURATION such as 10s:6h or 60:1440 (units s, m/min, h, d, w, y)';

/** Seconds per unit; the unit is matched as a prefix of seconds/minutes/hours/days/weeks/years. */
function unitSeconds(unit: string, def: string): number {
  for (const [name, n] of UNITS) if (name.startsWith(unit)) return n;
  throw new WhisperUsageError('InvalidConfiguration', `invalid unit '${unit}' in retention '${def}'`, RETENTION_SYNTAX);
}

/** A precision: bare digits are seconds, otherwise digits followed by a unit. */
export function parsePrecision(text: string, def = text): number {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const m = /^([0-9]+)([a-z]+)$/.exec(text);
  if (!m)
    throw new WhisperUsageError(
      'InvalidConfiguration',
      `Invalid precision specification '${text}' in retention '${def}'`,
      RETENTION_SYNTAX,
    );
  return Number(m[1]) * unitSeconds(m[2]!, def);
}

/**
 * One `precision:points` definition. A bare number after the colon is a point count; with a unit it
 * is a duration turned into points by integer division (`1h:7d` → 168).
 */
export function parseRetentionDef(def: string): [number, number] {
  const text = def.trim();
  const colon = text.indexOf(':');
  if (colon < 0) throw new WhisperUsageError('InvalidConfiguration', `retention '${def}' has no ':'`, RETENTION_SYNTAX);
  const precision = parsePrecision(text.slice(0, colon), def);
  const rest = text.slice(colon + 1);
  let points: number;
  if (/^[0-9]+$/.test(rest)) points = Number(rest);
  else {
    const m = /^([0-9]+)([a-z]+)$/.exec(rest);
    if (!m) throw new WhisperUsageError('InvalidConfiguration', `Invalid retention specification '${rest}' in '${def}'`, RETENTION_SYNTAX);
    if (precision === 0) throw new WhisperUsageError('InvalidConfiguration', `precision 0 in retention '${def}'`, RETENTION_SYNTAX);
    points = Math.floor((Number(m[1]) * unitSeconds(m[2]!, def)) / precision);
  }
  return [precision, points];
}

/** Parse retention arguments; each may hold several definitions separated by commas. */
export function parseRetentions(args: readonly string[]): [number, number][] {
  return args
    .flatMap((a) => a.split(','))
    .filter((s) => s.trim() !== '')
    .map(parseRetentionDef);
}

/**
 * whisper.validateArchiveList: sorts by precision and checks at least one archive, distinct
 * precisions, each dividing the next, strictly growing retention, enough points to consolidate. Also
 * refuses what whisper would write but no reader can use: precision or points of 0, numbers beyond u32.
 * Returns the sorted list.
 */
export function validateArchiveList(list: readonly (readonly [number, number])[]): [number, number][] {
  const bad = (msg: string): never => {
    throw new WhisperUsageError('InvalidConfiguration', msg);
  };
  if (list.length === 0) bad('You must specify at least one archive configuration!');
  const sorted = list.map(([s, p]) => [s, p] as [number, number]).sort((a, b) => a[0] - b[0]);
  for (const [s, p] of sorted) {
    if (!Number.isSafeInteger(s) || s < 1 || s > 0xffffffff) bad(`precision ${s} must be a whole number of seconds from 1 to 4294967295`);
    if (!Number.isSafeInteger(p) || p < 1) bad(`archive ${s}s has ${p} points; it needs at least 1`);
    if (s * p > 0xffffffff) bad(`archive ${s}s:${p} points covers ${s * p} seconds, more than a u32 maxRetention can hold`);
  }
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [s, p] = sorted[i]!;
    const [ns, np] = sorted[i + 1]!;
    if (!(s < ns))
      bad(
        `A Whisper database may not be configured having two archives with the same precision (archive${i}: ${s}:${p}, archive${i + 1}: ${ns}:${np})`,
      );
    if (ns % s !== 0)
      bad(
        `Higher precision archives' precision must evenly divide all lower precision archives' precision (archive${i}: ${s}, archive${i + 1}: ${ns})`,
      );
    if (!(ns * np > s * p)) {
      bad(
        `Lower precision archives must cover larger time intervals than higher precision archives (archive${i}: ${s * p} seconds, archive${i + 1}: ${ns * np} seconds)`,
      );
    }
    if (!(p >= ns / s)) {
      bad(
        `Each archive must have at least enough points to consolidate to the next archive (archive${i + 1} consolidates ${ns / s} of archive${i}'s points but it has only ${p} total points)`,
      );
    }
  }
  return sorted;
}
