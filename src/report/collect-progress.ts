// A plan's progress from its journals (PLAN.journal/<destination>.ndjson), read without taking them, so
// a report can be made while apply runs: per destination the actions done, failed, waiting (deletes
// whose copies into other destinations are not all verified) and left, with their planned bytes; the
// bytes copied and filled per time bucket; the failures. Two streamed passes over the plan, per-action
// state in typed arrays (src/apply's ActionTable), as apply itself keeps it.
import { join } from 'node:path';
import { checkJournalPlan, journalDir, journalFileName, readJournal, type JournalRecord } from '../apply/journal.js';
import { planLines, scanPlan } from '../apply/plan-reader.js';
import { ActionTable } from '../apply/action-table.js';
import type { Cell, ProgressDestination, ProgressJson } from './report-input.js';

const MAX_FAILURES = 50;
const MAX_BUCKETS = 60;
const BUCKETS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

export interface CollectedProgress {
  json: ProgressJson;
  /** Whether the journals record action `id` as done (verified copy/fill, delete done). */
  isDone: (id: number) => boolean;
}

export async function collectProgress(planPath: string): Promise<CollectedProgress> {
  let table: ActionTable | undefined;
  const scanned = await scanPlan(planPath, (a, header) => {
    table ??= new ActionTable(header.locations.map((l) => l.id));
    table.add(a);
  });
  const { header } = scanned;
  table ??= new ActionTable(header.locations.map((l) => l.id));
  const dir = journalDir(planPath);
  const failed = new Map<number, { id: number; node: string; op: string; code: string; error: string }>();
  const done: { t: number; node: string; bytes: number }[] = [];
  let first: string | null = null;
  let last: string | null = null;
  for (const loc of header.locations) {
    const file = join(dir, journalFileName(loc.id));
    const records = readJournal(file);
    checkJournalPlan(records, scanned.sha256, file);
    table.replay(records);
    for (const r of records) {
      const at = (r as { at?: string }).at;
      if (at !== undefined) {
        if (first === null || at < first) first = at;
        if (last === null || at > last) last = at;
      }
      noteRecord(r, loc.id, failed, done);
    }
  }
  const dests = new Map<string, ProgressDestination>(
    header.locations.map((l) => [l.id, { id: l.id, done: cell(), failed: cell(), waiting: cell(), left: cell() }]),
  );
  const t = table;
  for await (const batch of planLines(planPath)) {
    for (const { rec } of batch) {
      if (rec.type !== 'action') continue;
      // A delete belongs to the node it deletes on; a copy or fill to its destination.
      const d = dests.get(rec.op === 'delete' ? rec.at : rec.to)!;
      let state: 'done' | 'failed' | 'waiting' | 'left';
      if (t.isDone(rec.id)) state = 'done';
      else if (failed.has(rec.id)) state = 'failed';
      else if (rec.op === 'delete' && !rec.after.every((id) => t.isDone(id))) state = 'waiting';
      else state = 'left';
      d[state].files++;
      // Bytes to read: copies and fills read their source; a delete reads nothing.
      if (rec.op !== 'delete') d[state].bytes += rec.source.size;
    }
  }
  const destinations = [...dests.values()].filter((d) => d.done.files + d.failed.files + d.waiting.files + d.left.files > 0);
  const totals = { done: cell(), failed: cell(), waiting: cell(), left: cell() };
  for (const d of destinations)
    for (const k of ['done', 'failed', 'waiting', 'left'] as const) {
      totals[k].files += d[k].files;
      totals[k].bytes += d[k].bytes;
    }
  const json: ProgressJson = {
    plan: planPath,
    planSha256: scanned.sha256,
    actions: scanned.actions,
    destinations,
    totals,
    throughput: throughputSeries(
      done,
      destinations.map((d) => d.id),
    ),
    failures: [...failed.values()].slice(0, MAX_FAILURES),
    first,
    last,
  };
  return { json, isDone: (id) => t.isDone(id) };
}

function cell(): Cell {
  return { files: 0, bytes: 0 };
}

function noteRecord(
  r: JournalRecord,
  node: string,
  failed: Map<number, ProgressJson['failures'][number]>,
  done: { t: number; node: string; bytes: number }[],
): void {
  if (r.t === 'failed') failed.set(r.id, { id: r.id, node, op: r.op, code: r.code, error: r.error });
  else if (r.t === 'done' || r.t === 'deleted') {
    failed.delete(r.id);
    if (r.t === 'done') done.push({ t: Date.parse(r.at) / 1000, node, bytes: r.bytes });
  }
}

/** Bytes per bucket: a round bucket width giving at most MAX_BUCKETS buckets over the journaled span. */
export function throughputSeries(
  done: readonly { t: number; node: string; bytes: number }[],
  nodes: readonly string[],
): ProgressJson['throughput'] {
  let min = Infinity;
  let max = -Infinity;
  for (const d of done) {
    if (!Number.isFinite(d.t)) continue;
    if (d.t < min) min = d.t;
    if (d.t > max) max = d.t;
  }
  if (min === Infinity) return { bucketSeconds: 1, start: null, series: [] };
  const buckets = (b: number): number => Math.floor(max / b) - Math.floor(min / b) + 1;
  const width = BUCKETS.find((b) => buckets(b) <= MAX_BUCKETS) ?? Math.ceil((max - min) / (MAX_BUCKETS - 1));
  const start = Math.floor(min / width) * width;
  const n = Math.floor((max - start) / width) + 1;
  const total = new Array<number>(n).fill(0);
  const per = new Map(nodes.map((id) => [id, new Array<number>(n).fill(0)]));
  for (const d of done) {
    if (!Number.isFinite(d.t)) continue;
    const i = Math.floor((d.t - start) / width);
    total[i]! += d.bytes;
    const s = per.get(d.node);
    if (s !== undefined) s[i]! += d.bytes;
  }
  return {
    bucketSeconds: width,
    start,
    series: [{ id: '', bytes: total }, ...[...per.entries()].filter(([, b]) => b.some((x) => x > 0)).map(([id, bytes]) => ({ id, bytes }))],
  };
}
