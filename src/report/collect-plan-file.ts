// The plan section from a plan file (report --plan): the plan's own counts, pairs, deletes and skips
// (summed with src/plan's PlanSummary, so the figures read like `plan --json`), and the disk per
// location measured now against what is still to do (actions the journals do not record as done).
import { planLines } from '../apply/plan-reader.js';
import { PlanSummary, overfull, summaryJson, type FilesystemInfo } from '../plan/summary.js';
import type { StorageLocation } from '../storage/locations.js';
import type { PlanJson } from './report-input.js';

export interface PlanFileOptions {
  locations: readonly StorageLocation[];
  statfs: (loc: StorageLocation) => FilesystemInfo | null | Promise<FilesystemInfo | null>;
  throughput: number;
  /** The high-water mark (default: the plan's own, else 90 %). */
  maxFill?: number | undefined;
  isDone?: (id: number) => boolean;
}

export async function planJsonFromFile(path: string, o: PlanFileOptions): Promise<PlanJson> {
  const all = new PlanSummary();
  const remaining = new PlanSummary();
  let planMaxFill: number | undefined;
  for await (const batch of planLines(path)) {
    for (const { rec } of batch) {
      if (rec.type === 'header') {
        const m = rec.options.maxFill;
        if (typeof m === 'number') planMaxFill = m;
      } else if (rec.type === 'action') {
        all.addAction(rec);
        if (o.isDone === undefined || !o.isDone(rec.id)) remaining.addAction(rec);
      } else if (rec.type === 'skip') all.addSkip({ category: skipCategory(rec.reason), skip: rec });
    }
  }
  const maxFill = o.maxFill ?? planMaxFill ?? 0.9;
  const destinations = await remaining.destinations(o.locations, o.statfs);
  const notes: string[] = [];
  if (o.isDone !== undefined)
    notes.push('disk: measured now; the peak and after count only the actions the journals do not record as done');
  const json = summaryJson({
    summary: all,
    destinations,
    refused: overfull(destinations, maxFill),
    maxFill,
    throughput: o.throughput,
    written: path,
    notes,
  });
  return json as unknown as PlanJson;
}

/** The words before the first ':' of a skip reason ("trailing-dot", "double-dot (confirmed)", "vanished since the scan"). */
export function skipCategory(reason: string): string {
  const i = reason.indexOf(':');
  return (i < 0 ? reason : reason.slice(0, i)).trim() || 'other';
}
