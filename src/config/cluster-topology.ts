// The `topology:` section of a ringshift cluster file (see docs/lint.md): which files live on which host,
// which relay is which tier, which ring each webapp mirrors. Every command accepts the section (a cluster
// file is one format); the linter is what reads it.
import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { SectionContext } from './cluster-section.js';

export interface ClusterTopologyEntry {
  file: string;
  cluster?: string;
  host?: string;
  tier?: 1 | 2;
  mirrors?: string;
  line: number | null;
}

/** The optional `topology:` key of a ringshift cluster file. */
export interface StatedTopology {
  file: string;
  line: number | null;
  layout?: 'single-tier' | 'two-tier';
  /** host → files or directories (absolute paths) that live on it. */
  hosts: Map<string, { paths: string[]; line: number | null }>;
  relays: ClusterTopologyEntry[];
  webapps: ClusterTopologyEntry[];
}

const TOPOLOGY_KEYS = ['layout', 'hosts', 'relays', 'webapps'];
const RELAY_KEYS = ['file', 'cluster', 'tier', 'host'];
const WEBAPP_KEYS = ['file', 'host', 'mirrors'];

/** Parse the `topology:` section (called by the cluster-file loader with its line-aware context). */
export function parseTopologySection(node: Node | null, ctx: SectionContext): StatedTopology {
  const out: StatedTopology = { file: ctx.file, line: ctx.line(node) ?? null, hosts: new Map(), relays: [], webapps: [] };
  if (node === null || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) ctx.fail('topology: must be a mapping', node, `keys: ${TOPOLOGY_KEYS.join(', ')}`);
  const path = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(ctx.dir, p));
  for (const pair of (node as YAMLMap).items) {
    const key = String((pair.key as { value: unknown }).value);
    const v = pair.value as Node | null;
    if (key === 'layout') {
      const s = isScalar(v) ? v.value : undefined;
      if (s !== 'single-tier' && s !== 'two-tier')
        ctx.fail('topology.layout must be single-tier or two-tier', pair, 'single-tier or two-tier');
      out.layout = s as 'single-tier' | 'two-tier';
    } else if (key === 'hosts') {
      if (!isMap(v)) ctx.fail('topology.hosts must map each host to its files or directories', pair, 'graphite-1: [hosts/graphite-1]');
      for (const hp of (v as YAMLMap).items) {
        const host = String((hp.key as { value: unknown }).value);
        const hv = hp.value as Node | null;
        const list = isSeq(hv) ? hv.items : [hv];
        const paths = list.map((x) => {
          if (!isScalar(x) || typeof x.value !== 'string' || x.value === '')
            ctx.fail(`topology.hosts.${host}: each entry is a file or directory path`, hp);
          return path((x as { value: string }).value);
        });
        out.hosts.set(host, { paths, line: ctx.line(hp) ?? null });
      }
    } else if (key === 'relays' || key === 'webapps') {
      if (!isSeq(v)) ctx.fail(`topology.${key} must be a list`, pair, '- { file: …, … }');
      for (const item of (v as { items: unknown[] }).items) {
        const allowed = key === 'relays' ? RELAY_KEYS : WEBAPP_KEYS;
        if (!isMap(item)) ctx.fail(`each entry of topology.${key} must be a mapping`, item as Node, `keys: ${allowed.join(', ')}`);
        const e: ClusterTopologyEntry = { file: '', line: ctx.line(item as Node) ?? null };
        for (const ip of (item as YAMLMap).items) {
          const k = String((ip.key as { value: unknown }).value);
          if (!allowed.includes(k)) ctx.fail(`unknown key topology.${key}[].${k}`, ip, `one of: ${allowed.join(', ')}`);
          const val = isScalar(ip.value) ? (ip.value as { value: unknown }).value : undefined;
          if (k === 'tier') {
            if (val !== 1 && val !== 2)
              ctx.fail('tier must be 1 (picks the host, or the cache in a single tier) or 2 (a per-host relay)', ip, '1 or 2');
            e.tier = val as 1 | 2;
            continue;
          }
          if (typeof val !== 'string' && typeof val !== 'number') ctx.fail(`topology.${key}[].${k} must be a string`, ip);
          const sv = String(val);
          if (k === 'file') e.file = path(sv);
          else if (k === 'mirrors') e.mirrors = path(sv);
          else if (k === 'cluster') e.cluster = sv;
          else if (k === 'host') e.host = sv;
        }
        if (e.file === '') ctx.fail(`each entry of topology.${key} needs file:`, item as Node, 'file: path/to/config');
        (key === 'relays' ? out.relays : out.webapps).push(e);
      }
    } else {
      ctx.fail(`unknown key topology.${key}`, pair, `one of: ${TOPOLOGY_KEYS.join(', ')}`);
    }
  }
  return out;
}
