// The dry-run summary of a plan: actions and bytes per source → destination, growth per destination
// against its filesystem's free space (--high-water), an estimated duration, and every skip with its reason.
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { StorageLocation } from '../storage/locations.js';
import { alignColumns } from '../output/table.js';
import { formatBytes, formatDuration, formatPercent, plural } from '../units.js';
import type { PlanAction, PlanSkip } from './plan-file.js';
import type { CategorizedSkip } from './planner.js';

/** Skips kept (per category) for display; counts cover all of them. */
const SKIPS_SHOWN = 50;

export interface PairReport {
  from: string;
  to: string;
  copies: number;
  fills: number;
  bytes: number;
}

export interface DestinationReport {
  id: string;
  /** Bytes the plan's copies add here. */
  growth: number;
  /** Bytes its deletes free here. */
  freed: number;
  /** Filesystem view (shared by every location on it). */
  filesystem: {
    locations: string[];
    used: number;
    capacity: number;
    growth: number;
    freed: number;
    now: number;
    peak: number;
    after: number;
  };
}

/** A location's filesystem: `dev` is equal for locations that share one. */
export interface FilesystemInfo {
  dev: number | string;
  used: number;
  capacity: number;
}

/** statfs of the nearest existing directory (a location that does not exist yet lands on its parent's filesystem). */
export function filesystemOf(root: string): FilesystemInfo | null {
  let dir = root;
  for (;;) {
    try {
      const st = fs.statSync(dir);
      const sf = fs.statfsSync(dir);
      const used = (sf.blocks - sf.bfree) * sf.bsize;
      return { dev: st.dev, used, capacity: used + sf.bavail * sf.bsize };
    } catch {
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}

export class PlanSummary {
  readonly counts = { copy: 0, fill: 0, delete: 0 };
  bytes = 0;
  private readonly pairs = new Map<string, PairReport>();
  private readonly growth = new Map<string, number>();
  private readonly freed = new Map<string, { files: number; bytes: number }>();
  readonly skipCounts = new Map<string, number>();
  readonly skipItems = new Map<string, PlanSkip[]>();
  skips = 0;

  addAction(a: PlanAction): void {
    this.counts[a.op]++;
    if (a.op === 'delete') {
      const f = this.freed.get(a.at) ?? { files: 0, bytes: 0 };
      f.files++;
      f.bytes += a.source.size;
      this.freed.set(a.at, f);
      return;
    }
    this.bytes += a.source.size;
    const k = `${a.from}\u0000${a.to}`;
    let p = this.pairs.get(k);
    if (p === undefined) this.pairs.set(k, (p = { from: a.from, to: a.to, copies: 0, fills: 0, bytes: 0 }));
    p.bytes += a.source.size;
    if (a.op === 'copy') {
      p.copies++;
      this.growth.set(a.to, (this.growth.get(a.to) ?? 0) + a.source.size);
    } else {
      p.fills++;
    }
  }

  addSkip(s: CategorizedSkip): void {
    this.skips++;
    this.skipCounts.set(s.category, (this.skipCounts.get(s.category) ?? 0) + 1);
    const items = this.skipItems.get(s.category) ?? [];
    if (items.length < SKIPS_SHOWN) items.push(s.skip);
    this.skipItems.set(s.category, items);
  }

  pairList(): PairReport[] {
    return [...this.pairs.values()].sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1));
  }

  deletes(): { at: string; files: number; bytes: number }[] {
    return [...this.freed.entries()].map(([at, f]) => ({ at, ...f })).sort((a, b) => (a.at < b.at ? -1 : 1));
  }

  /** Growth per destination against its filesystem, from statfs of each location's root (or `statfs`, e.g. over ssh). */
  async destinations(
    locations: readonly StorageLocation[],
    statfs: (loc: StorageLocation) => FilesystemInfo | null | Promise<FilesystemInfo | null> = (loc) => filesystemOf(loc.root),
  ): Promise<DestinationReport[]> {
    const byDev = new Map<number | string, { locations: string[]; used: number; capacity: number; growth: number; freed: number }>();
    const devOf = new Map<string, number | string>();
    for (const loc of locations) {
      const f = await statfs(loc);
      if (f === null) continue;
      devOf.set(loc.id, f.dev);
      let d = byDev.get(f.dev);
      if (d === undefined) byDev.set(f.dev, (d = { locations: [], used: f.used, capacity: f.capacity, growth: 0, freed: 0 }));
      d.locations.push(loc.id);
      d.growth += this.growth.get(loc.id) ?? 0;
      d.freed += this.freed.get(loc.id)?.bytes ?? 0;
    }
    const out: DestinationReport[] = [];
    for (const loc of locations) {
      const growth = this.growth.get(loc.id) ?? 0;
      const freed = this.freed.get(loc.id)?.bytes ?? 0;
      const dev = devOf.get(loc.id);
      if (dev === undefined) continue;
      const d = byDev.get(dev)!;
      const frac = (n: number): number => (d.capacity > 0 ? n / d.capacity : 1);
      out.push({
        id: loc.id,
        growth,
        freed,
        filesystem: {
          locations: d.locations,
          used: d.used,
          capacity: d.capacity,
          growth: d.growth,
          freed: d.freed,
          now: frac(d.used),
          peak: frac(d.used + d.growth),
          after: frac(d.used + d.growth - d.freed),
        },
      });
    }
    return out;
  }
}

/** Destinations that grow past `maxFill` at their peak (copies done, nothing deleted yet). */
export function overfull(dests: readonly DestinationReport[], maxFill: number): DestinationReport[] {
  return dests.filter((d) => d.growth > 0 && d.filesystem.peak > maxFill);
}

export interface SummaryView {
  summary: PlanSummary;
  destinations: DestinationReport[];
  refused: DestinationReport[];
  maxFill: number;
  throughput: number;
  /** Where the plan was written, or null for a dry run. */
  written: string | null;
  notes: string[];
}

export function estimatedSeconds(bytes: number, throughput: number): number {
  return bytes / throughput;
}

export function summaryJson(v: SummaryView): Record<string, unknown> {
  const s = v.summary;
  const skips: Record<string, unknown> = {};
  for (const [cat, n] of s.skipCounts) skips[cat] = { files: n, items: s.skipItems.get(cat) ?? [] };
  return {
    plan: v.written,
    written: v.written !== null,
    actions: { ...s.counts, total: s.counts.copy + s.counts.fill + s.counts.delete },
    bytes: s.bytes,
    throughput: v.throughput,
    seconds: Math.ceil(estimatedSeconds(s.bytes, v.throughput)),
    pairs: s.pairList(),
    destinations: v.destinations.map((d) => ({
      ...d,
      filesystem: { ...d.filesystem, now: round4(d.filesystem.now), peak: round4(d.filesystem.peak), after: round4(d.filesystem.after) },
    })),
    deletes: s.deletes(),
    maxFill: v.maxFill,
    refused: v.refused.map((d) => d.id),
    skipped: { files: s.skips, byReason: skips },
    notes: v.notes,
  };
}

export function renderSummaryText(v: SummaryView): string[] {
  const s = v.summary;
  const out: string[] = [];
  const secs = estimatedSeconds(s.bytes, v.throughput);
  out.push(
    `plan: ${plural(s.counts.copy, 'copy', 'copies')}, ${plural(s.counts.fill, 'fill')}, ${plural(s.counts.delete, 'delete')}; ${formatBytes(s.bytes)} to read ` +
      `(about ${formatDuration(secs)} at ${formatBytes(v.throughput)}/s)`,
  );
  if (v.refused.length > 0)
    out.push(`REFUSED: ${v.refused.map((d) => d.id).join(', ')} would pass --high-water ${formatPercent(v.maxFill, 1)}; no plan written`);
  else out.push(v.written === null ? 'dry run: nothing written (give -o FILE to write the plan)' : `written: ${v.written}`);

  const pairs = s.pairList();
  if (pairs.length > 0) {
    out.push('');
    const rows = [['from', 'to', 'copies', 'fills', 'bytes']];
    for (const p of pairs) rows.push([p.from, p.to, String(p.copies), String(p.fills), formatBytes(p.bytes)]);
    out.push(...alignColumns(rows));
  }
  if (v.destinations.length > 0) {
    out.push('');
    const rows = [['location', 'copies in', 'deletes', 'disk now', 'peak', 'after deletes', 'filesystem']];
    for (const d of v.destinations) {
      const f = d.filesystem;
      const shared = f.locations.length > 1 ? ` (shared: ${f.locations.join(', ')})` : '';
      const flag = d.growth > 0 && f.peak > v.maxFill ? ' > high-water' : '';
      rows.push([
        d.id,
        `+${formatBytes(d.growth)}`,
        `-${formatBytes(d.freed)}`,
        formatPercent(f.now, 1),
        formatPercent(f.peak, 1) + flag,
        formatPercent(f.after, 1),
        `${formatBytes(f.capacity)}${shared}`,
      ]);
    }
    out.push(...alignColumns(rows));
  }
  if (s.skips > 0) {
    out.push('', `skipped: ${plural(s.skips, 'file')}`);
    for (const [cat, n] of [...s.skipCounts.entries()].sort((a, b) => b[1] - a[1])) {
      out.push(`  ${cat}: ${n}`);
      const items = s.skipItems.get(cat) ?? [];
      for (const k of items) {
        out.push(`    ${k.path} at ${k.at}: ${k.reason}`);
        if (k.fix !== undefined) out.push(`      fix: ${k.fix}`);
      }
      if (n > items.length)
        out.push(
          `    … ${n - items.length} more (${v.written === null ? 'write the plan with -o to list every skip' : 'every skip is in the plan file'})`,
        );
    }
  }
  for (const n of v.notes) out.push(`note: ${n}`);
  return out;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
