// carbon's TAG_RELAY_NORMALIZED: the relay rewrites a name to TaggedSeries.parse(name).path before
// routing (ring-spec §7). Facts carried over from carbon's lib/carbon/util.py:
// - `name{k="v",...}` (ends with `"}` and contains `{`) is parsed as OpenMetrics, anything else as
//   `name;k=v;...`;
// - a tag must be non-empty without any of `;!^=`, a value non-empty without `;` and not starting
//   with `~`; later duplicates of a tag win; a tag called `name` is replaced by the metric name;
// - the metric name loses its leading `~` characters and must not end up empty;
// - the path is the name followed by the *formatted* `;tag=value` strings sorted as strings (so
//   `;a-b=2` sorts before `;a=1`).
// Any parse failure leaves the name unchanged (the relay logs and routes it as received).

const PROHIBITED_IN_TAG = [';', '!', '^', '='];

// One OpenMetrics segment: tag="value" followed by `,`, `:,` or the end (carbon's own regex, typo
// `(:?,|$)` included). A value is a run of \" / \\ pairs and characters other than " and \.
const OPENMETRICS_SEGMENT = /^([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$)/;

function validTagAndValue(tag: string, value: string): boolean {
  if (tag.length === 0 || value.length === 0) return false;
  for (const ch of PROHIBITED_IN_TAG) if (tag.includes(ch)) return false;
  if (value.includes(';')) return false;
  return value[0] !== '~';
}

/** Python's str.lstrip('~'). */
function stripTildes(name: string): string {
  let i = 0;
  while (i < name.length && name.charCodeAt(i) === 0x7e) i++;
  return name.slice(i);
}

/** Python string order (by code point), which differs from UTF-16 order for astral characters. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Both differ here; if either is a surrogate, compare whole code points.
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff)) {
      return a.codePointAt(i)! - b.codePointAt(i)!;
    }
    return x - y;
  }
  return a.length - b.length;
}

function parseOpenMetrics(path: string): Map<string, string> | null {
  const parts = path.slice(0, -1).split('{');
  if (parts.length !== 2) return null; // Python's 2-tuple unpacking of split('{', 2)
  const metric = parts[0]!;
  let rawtags = parts[1]!;
  if (metric === '') return null;
  const tags = new Map<string, string>();
  while (rawtags.length > 0) {
    const m = OPENMETRICS_SEGMENT.exec(rawtags);
    if (m === null) return null;
    const tag = m[1]!;
    const value = m[2]!.replaceAll('\\"', '"').replaceAll('\\\\', '\\');
    if (!validTagAndValue(tag, value)) return null;
    tags.set(tag, value);
    rawtags = rawtags.slice(m[0].length);
  }
  return withName(tags, metric);
}

function parseCarbon(path: string): Map<string, string> | null {
  const segments = path.split(';');
  const metric = segments[0]!;
  if (metric === '') return null;
  const tags = new Map<string, string>();
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const eq = seg.indexOf('=');
    if (eq <= 0) return null; // no '=' or an empty tag
    const tag = seg.slice(0, eq);
    const value = seg.slice(eq + 1);
    if (!validTagAndValue(tag, value)) return null;
    tags.set(tag, value);
  }
  return withName(tags, metric);
}

function withName(tags: Map<string, string>, metric: string): Map<string, string> | null {
  const name = stripTildes(metric);
  if (name === '') return null;
  tags.set('name', name);
  return tags;
}

/**
 * The name carbon-relay routes with TAG_RELAY_NORMALIZED=True, or null when carbon cannot parse it
 * (then the name is routed unchanged).
 */
export function parseTaggedName(path: string): string | null {
  const tags = path.endsWith('"}') && path.includes('{') ? parseOpenMetrics(path) : parseCarbon(path);
  if (tags === null) return null;
  const formatted: string[] = [];
  for (const [tag, value] of tags) if (tag !== 'name') formatted.push(`;${tag}=${value}`);
  formatted.sort(compareCodePoints);
  return tags.get('name')! + formatted.join('');
}

/** TAG_RELAY_NORMALIZED routing key: the normalised name, or the name itself when parsing fails. */
export function normalizeTaggedName(path: string): string {
  // Fast path: nothing to parse or strip.
  if (!path.includes(';') && !path.includes('{') && path.charCodeAt(0) !== 0x7e && path !== '') return path;
  return parseTaggedName(path) ?? path;
}
