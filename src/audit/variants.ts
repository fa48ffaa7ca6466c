// Raw names that carbon-cache stores under the same file as a clean name, and the name list that can
// confirm them.
//
// carbon-cache turns every '.' into '/', strips a leading '/', and the OS collapses '//'. So besides
// `a.b.c` itself, the names with ONE extra dot that land in a/b/c.wsp are:
//   `.a.b.c`  (leading dot)   and   `a..b.c`, `a.b..c`  (one doubled dot)
// — k variants for a k-segment name. A trailing dot does NOT: `a.b.c.` is stored as a/b/c/.wsp (a
// trailing-dot file, classified on its own). Longer runs of dots (`a...b`), several anomalies at once
// and '/' inside names also land in a/b/c.wsp; they are not guessed (the candidates multiply), but a
// name list (--names) confirms any of them, because it is matched by stored path, not by pattern.
import { UsageError } from '../errors.js';
import { metricToPath, pathToMetric } from '../storage/paths.js';
import { isTaggedName, storedName } from '../storage/tagged.js';
import { nameBatches } from '../input/names.js';

/** The one-extra-dot raw names stored at the same path as `stored` (untagged names only). */
export function dotVariants(stored: string): string[] {
  if (stored === '' || isTaggedName(stored)) return [];
  const out = ['.' + stored];
  for (let i = stored.indexOf('.'); i >= 0; i = stored.indexOf('.', i + 1)) {
    out.push(stored.slice(0, i) + '.' + stored.slice(i));
  }
  return out;
}

/**
 * The name carbon-cache stores `raw` under, as a scan reads it back from the path (tagged names: their
 * normalised form). Equal to `raw` for every well-formed name.
 */
export function storedFormOf(raw: string): string | null {
  const stored = storedName(raw);
  if (isTaggedName(stored)) return stored;
  return pathToMetric(metricToPath(stored)).metric;
}

/**
 * Raw names from a name list whose stored file differs from the name itself, keyed by the stored
 * path. Only those anomalous names are kept, so memory follows their number, not the list's size.
 */
export class RawNameIndex {
  private readonly byPath = new Map<string, string[]>();
  /** Lines read, and anomalous names kept. */
  lines = 0;
  /** Lines that held a name. */
  names = 0;
  anomalous = 0;

  /** Add one line: the name as the relay received it (text after the first space or tab is ignored). */
  addLine(line: string): void {
    this.lines++;
    let name = line;
    const sp = name.search(/[ \t]/);
    if (sp >= 0) name = name.slice(0, sp);
    if (name === '' || name.includes('\0')) return;
    this.names++;
    if (storedFormOf(name) === name) return;
    let path: string;
    try {
      path = metricToPath(name);
    } catch {
      return;
    }
    const list = this.byPath.get(path);
    if (list === undefined) this.byPath.set(path, [name]);
    else if (!list.includes(name)) list.push(name);
    else return;
    this.anomalous++;
  }

  /** Raw names stored at `path` that differ from the stored name. */
  rawAt(path: string): readonly string[] {
    return this.byPath.get(path) ?? NONE;
  }
}

const NONE: readonly string[] = [];

/** Stream a names file (one name a line) into a RawNameIndex. */
export async function loadRawNames(file: string): Promise<RawNameIndex> {
  const index = new RawNameIndex();
  try {
    for await (const batch of nameBatches({ file })) for (const line of batch) index.addLine(line);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message, { file, expected: 'a readable file of metric names, one a line' });
    throw e;
  }
  // An empty list would silently turn every confirmed double-dot into "unexplained" (and the plan would
  // move the file a relay still writes): refuse it.
  if (index.names === 0) {
    throw new UsageError(`--names: ${index.lines === 0 ? 'the file is empty' : `no metric name in ${index.lines} lines`}`, {
      file,
      expected: 'metric names as the relays received them, one a line',
    });
  }
  return index;
}

/**
 * Self-metric test: a name is the caches' own when it starts with one of the prefixes. A prefix without
 * a trailing '.' is a whole first segment (CARBON_METRIC_PREFIX `carbon` matches `carbon.…`); one with
 * a trailing '.' is matched literally (go-carbon's `carbon.agents.`).
 */
export function selfMetricMatcher(prefixes: readonly string[]): (name: string) => boolean {
  const ps = prefixes.filter((p) => p !== '').map((p) => (p.endsWith('.') ? p : p + '.'));
  if (ps.length === 0) return () => false;
  return (name) => {
    for (const p of ps) if (name.startsWith(p)) return true;
    return false;
  };
}
