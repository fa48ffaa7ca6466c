// Writing scan results: names one a line (composable like carbonate's carbon-list), or one JSON object
// a line. Hand-built JSON: JSON.stringify per entry costs more than the walk itself.
import type { LineSink } from '../output/sinks.js';
import type { ScanEntry } from './scan.js';
import type { EntryKind } from './paths.js';

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/**
 * Encodes entries as `{"metric","path","size","mtime","node","kind","note"?}`, byte for byte what
 * JSON.stringify gives. The node fragment is quoted once per location, and one escape test on the path
 * covers the metric too (a metric is spelled with the path's characters plus '.').
 */
export class ScanJsonEncoder {
  private node: string | null = null;
  private nodePart = '';

  encode(e: ScanEntry): string {
    if (e.node !== this.node) {
      this.node = e.node;
      this.nodePart = ',"node":' + quote(e.node) + ',"kind":"';
    }
    const plainPath = !NEEDS_ESCAPE.test(e.path);
    const path = plainPath ? '"' + e.path + '"' : JSON.stringify(e.path);
    const metric = e.metric === null ? 'null' : plainPath ? '"' + e.metric + '"' : quote(e.metric);
    const head = '{"metric":' + metric + ',"path":' + path + ',"size":' + e.size + ',"mtime":' + e.mtime + this.nodePart + e.kind;
    return e.note === undefined ? head + '"}' : head + '","note":' + quote(e.note) + '}';
  }
}

/** One entry as a JSON line (see ScanJsonEncoder). */
export function scanEntryJson(e: ScanEntry): string {
  return new ScanJsonEncoder().encode(e);
}

/** Kinds whose name is printed in plain output; the others have no usable name. */
export function hasPrintableName(kind: EntryKind): boolean {
  return kind === 'metric' || kind === 'trailing-dot' || kind === 'tagged';
}

export type KindCounts = Record<EntryKind, number>;

export function emptyKindCounts(): KindCounts {
  return { metric: 0, 'trailing-dot': 0, tagged: 0, 'tagged-hashed': 0, symlink: 0, malformed: 0, unreadable: 0 };
}

/**
 * Write batches of scan entries to `sink`: names only (with `withNode`, "name<TAB>location id"), or JSON
 * lines. Returns the count per kind so the caller can tell the user what plain output left out.
 */
export async function writeScanEntries(
  batches: AsyncIterable<ScanEntry[]>,
  sink: LineSink,
  opts: { json: boolean; counts?: KindCounts; withNode?: boolean },
): Promise<KindCounts> {
  const counts = opts.counts ?? emptyKindCounts();
  const enc = new ScanJsonEncoder();
  for await (const batch of batches) {
    for (const e of batch) {
      counts[e.kind]++;
      if (opts.json) {
        if (sink.push(enc.encode(e))) await sink.flush();
      } else if (e.metric !== null && hasPrintableName(e.kind)) {
        if (sink.push(opts.withNode === true ? `${e.metric}\t${e.node}` : e.metric)) await sink.flush();
      }
    }
  }
  await sink.flush();
  return counts;
}
