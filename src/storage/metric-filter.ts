// The metric filter of the cluster commands (--match GLOB, --regex RE, --metrics FILE), so that a
// delete, a backup or a shuffle can be tried on a subset first (buckytools #17).
//
// --match is a Graphite glob with graphite-web's semantics (finders/standard.py _find_paths and
// finders/__init__.py expand_braces/match_entries): backslashes are removed from the pattern, it is
// split on '.', each component is brace-expanded ({a,b}, nested, leftmost innermost group first) and
// each variant matched with Python's fnmatch (`*`, `?`, `[seq]`, `[!seq]`, an unclosed '[' literal,
// reversed ranges dropped) against one path component; a component that is exactly `**` spans any
// number of components (one or more at the end, as graphite-web's walk gives). It matches the file's
// path, so `_tagged.**` selects the tagged tree, and hidden files (a trailing-dot name's `a/b/.wsp`)
// never match, as graphite-web skips them. A glob holding ';' (and not starting with `_tagged.`) names
// one tagged series: graphite-web looks up its encoded path; ringshift also accepts carbon's
// normalised tag order.
import { UsageError } from '../errors.js';
import { metricToPath, TAGGED_DIR, WSP } from './paths.js';
import { isTaggedName } from './tagged.js';

/** Most variants one brace-expanded component may give (`{a,b}{c,d}…` grows exponentially). */
const MAX_VARIANTS = 4096;

/**
 * graphite-web's expand_braces: the leftmost `{…}` group without nested braces is expanded, then the
 * results again, until none is left. Duplicates are dropped (Python returns a set).
 */
export function expandBraces(s: string, limit = MAX_VARIANTS): string[] {
  const out = new Set<string>();
  const stack = [s];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const m = /\{([^{}]*)\}/.exec(cur);
    if (m === null) {
      out.add(cur);
      if (out.size > limit) throw new UsageError(`the glob ${JSON.stringify(s)} expands to more than ${limit} variants`);
      continue;
    }
    const head = cur.slice(0, m.index);
    const tail = cur.slice(m.index + m[0].length);
    for (const alt of m[1]!.split(',')) stack.push(head + alt + tail);
    if (stack.length > limit * 4) throw new UsageError(`the glob ${JSON.stringify(s)} expands to more than ${limit} variants`);
  }
  return [...out];
}

/** One code point as a regular-expression literal (the 'u' flag is on). */
function lit(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

/**
 * Python's fnmatch.translate as a JavaScript RegExp (anchored, dotAll, unicode). Consecutive stars
 * are one; an interior `*fixed` is matched lazily through a lookahead + back-reference, the usual
 * stand-in for Python's atomic group (no catastrophic backtracking on `*a*a*a*b`).
 */
export function fnmatchRegExp(pat: string): RegExp {
  type Piece = string | typeof STAR;
  const STAR = Symbol('star');
  const res: Piece[] = [];
  const chars = [...pat];
  const n = chars.length;
  let i = 0;
  while (i < n) {
    const c = chars[i++]!;
    if (c === '*') {
      if (res.length === 0 || res[res.length - 1] !== STAR) res.push(STAR);
    } else if (c === '?') {
      res.push('.');
    } else if (c === '[') {
      let j = i;
      if (j < n && chars[j] === '!') j++;
      if (j < n && chars[j] === ']') j++;
      while (j < n && chars[j] !== ']') j++;
      if (j >= n) {
        res.push(lit('['));
        continue;
      }
      res.push(bracketClass(chars, i, j));
      i = j + 1;
    } else {
      res.push(lit(c));
    }
  }
  let out = '';
  let k = 0;
  while (k < res.length && res[k] !== STAR) out += res[k++] as string;
  let group = 0;
  while (k < res.length) {
    k++; // the STAR
    if (k === res.length) {
      out += '.*';
      break;
    }
    let fixed = '';
    while (k < res.length && res[k] !== STAR) fixed += res[k++] as string;
    if (k === res.length) out += '.*' + fixed;
    else {
      group++;
      out += `(?=(.*?${fixed}))\\${group}`;
    }
  }
  return new RegExp(`^(?:${out})$`, 'su');
}

/** A `[…]` set, chars[i..j) being what is between the brackets; as fnmatch.translate builds it. */
function bracketClass(chars: string[], i: number, j: number): string {
  const stuff = chars.slice(i, j);
  let chunks: string[][];
  if (!stuff.includes('-')) chunks = [stuff];
  else {
    chunks = [];
    let k = chars[i] === '!' ? i + 2 : i + 1;
    let start = i;
    for (;;) {
      k = indexIn(chars, '-', k, j);
      if (k < 0) break;
      chunks.push(chars.slice(start, k));
      start = k + 1;
      k = k + 3;
    }
    const chunk = chars.slice(start, j);
    if (chunk.length > 0) chunks.push(chunk);
    else chunks[chunks.length - 1]!.push('-');
    // Remove empty (reversed) ranges, as Python does: "z-a" drops both ends.
    for (let m = chunks.length - 1; m > 0; m--) {
      const prev = chunks[m - 1]!;
      const cur = chunks[m]!;
      if (prev[prev.length - 1]!.codePointAt(0)! > cur[0]!.codePointAt(0)!) {
        chunks[m - 1] = [...prev.slice(0, -1), ...cur.slice(1)];
        chunks.splice(m, 1);
      }
    }
  }
  const flat = chunks.reduce((n, c) => n + c.length, 0) + chunks.length - 1;
  if (flat <= 0) return '(?!)'; // empty set: never matches
  if (chunks.length === 1 && chunks[0]!.length === 1 && chunks[0]![0] === '!') return '.'; // "[!]": any character
  let negate = false;
  const first = chunks[0]!;
  if (first[0] === '!') {
    negate = true;
    chunks[0] = first.slice(1);
  }
  // chunks joined by range hyphens: the last char of one chunk to the first of the next is a range.
  let body = '';
  chunks.forEach((c, idx) => {
    if (idx > 0) body += '-';
    for (const ch of c) body += lit(ch);
  });
  return `[${negate ? '^' : ''}${body}]`;
}

/** String.indexOf over code points, in [from, to). */
function indexIn(chars: string[], c: string, from: number, to: number): number {
  for (let k = from; k < to; k++) if (chars[k] === c) return k;
  return -1;
}

type Component = { kind: 'globstar' } | { kind: 'exact'; text: string } | { kind: 'pattern'; re: RegExp };

/** One Graphite glob (see the header comment), matched against storage paths. */
export class GraphiteGlob {
  /** Alternatives after expanding braces per component: each a list of components. */
  private readonly alternatives: Component[][];
  /** For a tagged-series glob: the paths it names. */
  private readonly taggedPaths: Set<string> | null = null;

  constructor(readonly pattern: string) {
    if (pattern === '') throw new UsageError('an empty --match glob', { expected: 'a Graphite glob like servers.*.cpu.{user,system}' });
    if (!pattern.startsWith(`${TAGGED_DIR}.`) && pattern.includes(';')) {
      this.taggedPaths = taggedPathsOf(pattern);
      this.alternatives = [];
      return;
    }
    const parts = pattern.replaceAll('\\', '').split('.');
    const perPart = parts.map((p) => expandBraces(p).map(toComponent));
    let total = 1;
    for (const v of perPart) {
      total *= v.length;
      if (total > MAX_VARIANTS)
        throw new UsageError(`the glob ${JSON.stringify(pattern)} expands to more than ${MAX_VARIANTS} variants`, {
          expected: 'fewer {…} alternatives',
        });
    }
    // Components are matched one by one, each against its set of variants.
    this.alternatives = [perPart.map((v) => (v.length === 1 ? v[0]! : { kind: 'pattern', re: anyOf(v) }))];
    // A component whose variants include `**` cannot be folded into one pattern: expand those.
    if (perPart.some((v) => v.length > 1 && v.some((c) => c.kind === 'globstar'))) {
      let alts: Component[][] = [[]];
      for (const v of perPart) alts = alts.flatMap((a) => v.map((c) => [...a, c]));
      this.alternatives = alts;
    }
  }

  /** Does the file at `rel` (POSIX, relative to the storage root, ending in .wsp) match? */
  matchesPath(rel: string): boolean {
    if (this.taggedPaths !== null) return this.taggedPaths.has(rel);
    if (!rel.endsWith(WSP)) return false;
    const segs = rel.slice(0, -WSP.length).split('/');
    const last = segs[segs.length - 1]!;
    if (last === '' || last.startsWith('.')) return false; // hidden: graphite-web skips them
    return this.alternatives.some((alt) => matchComponents(alt, 0, segs, 0));
  }

  /** Does the metric `name` (where carbon-cache stores it) match? */
  matchesName(name: string): boolean {
    let rel: string;
    try {
      rel = metricToPath(name);
    } catch {
      return false;
    }
    return this.matchesPath(rel);
  }
}

function toComponent(variant: string): Component {
  if (variant === '**') return { kind: 'globstar' };
  if (!/[*?[]/.test(variant)) return { kind: 'exact', text: variant };
  return { kind: 'pattern', re: fnmatchRegExp(variant) };
}

/** One component matching any of several variants (none of them `**`). */
function anyOf(variants: Component[]): RegExp {
  const sources = variants.map((c) => {
    if (c.kind === 'exact') return [...c.text].map(lit).join('');
    if (c.kind === 'pattern') return c.re.source.slice(4, -2); // strip ^(?: … )$
    return '(?!)';
  });
  // Back-references are numbered across the alternatives: renumber each alternative's groups.
  let offset = 0;
  const renumbered = sources.map((s) => {
    let groups = 0;
    const out = s.replace(/\(\?=\(|\\(\d+)/g, (m, d: string | undefined) => {
      if (d === undefined) {
        groups++;
        return m;
      }
      return `\\${Number(d) + offset}`;
    });
    offset += groups;
    return out;
  });
  return new RegExp(`^(?:${renumbered.map((s) => `(?:${s})`).join('|')})$`, 'su');
}

function matchComponents(pat: Component[], pi: number, segs: string[], si: number): boolean {
  while (pi < pat.length) {
    const c = pat[pi]!;
    if (c.kind === 'globstar') {
      if (pi === pat.length - 1) return segs.length - si >= 1; // terminal **: one or more
      for (let k = si; k <= segs.length; k++) if (matchComponents(pat, pi + 1, segs, k)) return true;
      return false;
    }
    if (si >= segs.length) return false;
    const s = segs[si]!;
    if (c.kind === 'exact' ? c.text !== s : !c.re.test(s)) return false;
    pi++;
    si++;
  }
  return si === segs.length;
}

/** The paths a tagged-series name may be stored at: hashed or named, carbon's tag order or as given. */
function taggedPathsOf(name: string): Set<string> {
  const paths = new Set<string>();
  for (const normalize of [true, false]) {
    for (const hashTagged of [true, false]) {
      try {
        const p = metricToPath(name, { normalize, hashTagged });
        if (p.startsWith(`${TAGGED_DIR}/`) || !isTaggedName(name)) paths.add(p);
      } catch {
        // a NUL byte: matches nothing
      }
    }
  }
  return paths;
}

/** What the filter looks at: a scanned file. */
export interface FilterTarget {
  /** The name carbon-cache stored it under, when known. */
  metric: string | null;
  /** POSIX path relative to the storage root. */
  path: string;
}

export interface MetricFilterSpec {
  /** --match globs (any may match). */
  match?: readonly string[] | undefined;
  /** --regex expressions (any may match; searched anywhere in the name, like grep). */
  regex?: readonly string[] | undefined;
  /** --metrics FILE: names, one a line ('-' = stdin). */
  metrics?: string | undefined;
}

/**
 * The three filters together. Several values of one flag select the union; different flags narrow
 * each other (a file must pass every flag given). No flag: everything passes.
 */
export class MetricFilter {
  private constructor(
    private readonly globs: GraphiteGlob[],
    private readonly regexes: RegExp[],
    private readonly listed: Set<string> | null,
    readonly description: string,
  ) {}

  /** The filter the flags give, or null when none was given. */
  static async fromSpec(spec: MetricFilterSpec): Promise<MetricFilter | null> {
    const globs = (spec.match ?? []).map((g) => new GraphiteGlob(g));
    const regexes = (spec.regex ?? []).map((r) => {
      try {
        return new RegExp(r, 'u');
      } catch (err) {
        throw new UsageError(`--regex ${JSON.stringify(r)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, {
          expected: 'a JavaScript regular expression',
        });
      }
    });
    let listed: Set<string> | null = null;
    if (spec.metrics !== undefined) listed = await readListedPaths(spec.metrics);
    if (globs.length === 0 && regexes.length === 0 && listed === null) return null;
    const parts: string[] = [];
    if (globs.length > 0) parts.push(`--match ${globs.map((g) => g.pattern).join(' | ')}`);
    if (regexes.length > 0) parts.push(`--regex ${regexes.map((r) => r.source).join(' | ')}`);
    if (listed !== null) parts.push(`--metrics ${spec.metrics} (${listed.size} paths)`);
    return new MetricFilter(globs, regexes, listed, parts.join(' and '));
  }

  /** A filter from already parsed parts (tests, library callers). */
  static of(globs: readonly string[], regexes: readonly RegExp[] = [], names: readonly string[] | null = null): MetricFilter {
    const listed = names === null ? null : new Set(names.flatMap((n) => [...listedPaths(n)]));
    return new MetricFilter(
      globs.map((g) => new GraphiteGlob(g)),
      [...regexes],
      listed,
      [...globs, ...regexes.map(String)].join(' | '),
    );
  }

  matches(t: FilterTarget): boolean {
    if (this.globs.length > 0 && !this.globs.some((g) => g.matchesPath(t.path))) return false;
    if (this.regexes.length > 0) {
      const name = t.metric ?? dottedPath(t.path);
      if (!this.regexes.some((r) => r.test(name))) return false;
    }
    if (this.listed !== null && !this.listed.has(t.path)) return false;
    return true;
  }

  /** A metric name (not a file): does it pass? */
  matchesName(name: string): boolean {
    let path: string;
    try {
      path = metricToPath(name);
    } catch {
      return false;
    }
    return this.matches({ metric: name, path });
  }
}

/** The batches of a scan with only the entries passing the filter (empty batches dropped). */
export async function* filterBatches<T extends FilterTarget>(batches: AsyncIterable<T[]>, filter: MetricFilter): AsyncGenerator<T[]> {
  for await (const batch of batches) {
    const kept = batch.filter((e) => filter.matches(e));
    if (kept.length > 0) yield kept;
  }
}

/** The path as a dotted name, for a file whose metric name is unknown (hashed tagged files). */
function dottedPath(rel: string): string {
  return (rel.endsWith(WSP) ? rel.slice(0, -WSP.length) : rel).replaceAll('/', '.');
}

/** The storage paths a listed name may be at (both tagged forms). */
function listedPaths(line: string): Set<string> {
  const name = line.trim();
  if (name === '') return new Set();
  if (isTaggedName(name)) return taggedPathsOf(name);
  try {
    return new Set([metricToPath(name)]);
  } catch {
    return new Set();
  }
}

async function readListedPaths(file: string): Promise<Set<string>> {
  const { openNameStream, lineBatches } = await import('../input/names.js');
  const stream = await openNameStream({ file });
  const out = new Set<string>();
  if (stream === undefined) return out;
  for await (const batch of lineBatches(stream)) for (const line of batch) for (const p of listedPaths(line)) out.add(p);
  return out;
}
