// `ringshift du` as a library (bucky du, per prefix): the files and bytes of every whisper file under
// each prefix of --depth components, per location and in total. Sizes are the files' own (st_size,
// what bucky du adds up), from the scan's stat — nothing is read.
import type { MetricFilter } from '../storage/metric-filter.js';
import { WSP } from '../storage/paths.js';
import type { ToolboxCluster } from './toolbox-cluster.js';

export interface Usage {
  files: number;
  bytes: number;
}

export interface PrefixUsage extends Usage {
  prefix: string;
  /** Per location id. */
  nodes: Record<string, Usage>;
}

export interface DiskUsage {
  rows: PrefixUsage[];
  total: Usage;
  /** Per location id, in cluster order. */
  nodes: { id: string; files: number; bytes: number }[];
  /** Locations that could not be read, with why. */
  failed: { id: string; error: string }[];
}

/** The dotted prefix of the first `depth` components of a storage path (the whole name when shorter). */
export function prefixOf(rel: string, depth: number): string {
  const stem = rel.endsWith(WSP) ? rel.slice(0, -WSP.length) : rel;
  const segs = stem.split('/');
  return segs.slice(0, Math.min(depth, segs.length)).join('.');
}

export async function diskUsage(
  cluster: ToolboxCluster,
  selected: readonly number[],
  depth: number,
  filter: MetricFilter | null,
  onProgress?: (node: string, files: number) => void,
): Promise<DiskUsage> {
  const byPrefix = new Map<string, PrefixUsage>();
  const nodes = selected.map((i) => ({ id: cluster.locations[i]!.id, files: 0, bytes: 0 }));
  const total: Usage = { files: 0, bytes: 0 };
  const failed: DiskUsage['failed'] = [];
  for (let k = 0; k < selected.length; k++) {
    const i = selected[k]!;
    const node = nodes[k]!;
    try {
      for await (const batch of cluster.scan(i, filter, {
        stat: true,
        ...(onProgress !== undefined ? { onProgress: (n: number) => onProgress(node.id, n) } : {}),
      })) {
        for (const e of batch) {
          if (e.kind === 'symlink' || e.kind === 'unreadable') continue;
          const size = e.size ?? 0;
          const p = prefixOf(e.path, depth);
          let row = byPrefix.get(p);
          if (row === undefined) byPrefix.set(p, (row = { prefix: p, files: 0, bytes: 0, nodes: {} }));
          row.files++;
          row.bytes += size;
          const n = (row.nodes[node.id] ??= { files: 0, bytes: 0 });
          n.files++;
          n.bytes += size;
          node.files++;
          node.bytes += size;
          total.files++;
          total.bytes += size;
        }
      }
    } catch (err) {
      failed.push({ id: node.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const rows = [...byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  return { rows, total, nodes, failed };
}
