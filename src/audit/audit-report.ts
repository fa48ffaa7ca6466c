// Counting findings per class and location, and rendering the audit's summary.
import { UsageError } from '../errors.js';
import { alignColumns } from '../output/table.js';
import type { StorageLocation } from '../storage/locations.js';
import { CLASSES_AFTER_MISPLACED, EXPLANATIONS, FILE_CLASSES, type AuditFinding } from './audit-findings.js';
import { formatBytes, formatPercent } from '../units.js';

/** Summary rows, in display order. misplaced is split by explanation (double-dot by confidence). */
export const ROWS = [
  'ok',
  'misplaced:old-ring',
  'misplaced:double-dot-confirmed',
  'misplaced:double-dot-suspected',
  'misplaced:cleansing',
  'misplaced:unexplained',
  ...CLASSES_AFTER_MISPLACED,
] as const;
export type Row = (typeof ROWS)[number];

export function rowOf(f: AuditFinding): Row {
  if (f.kind !== 'misplaced') return f.kind;
  if (f.explanation === 'double-dot')
    return f.evidence?.confidence === 'confirmed' ? 'misplaced:double-dot-confirmed' : 'misplaced:double-dot-suspected';
  return `misplaced:${f.explanation ?? 'unexplained'}` as Row;
}

interface Cell {
  files: number;
  bytes: number;
}

const EXAMPLES_PER_ROW = 10;

export class AuditTally {
  readonly rows = new Map<Row, { total: Cell; byNode: Map<string, Cell> }>();
  readonly examples = new Map<Row, AuditFinding[]>();
  /** Worst chance of a coincidental double-dot match seen (for the honesty note). */
  maxChance = 0;

  add(f: AuditFinding): void {
    const row = rowOf(f);
    let r = this.rows.get(row);
    if (r === undefined) {
      r = { total: { files: 0, bytes: 0 }, byNode: new Map() };
      this.rows.set(row, r);
    }
    r.total.files++;
    r.total.bytes += f.size;
    let c = r.byNode.get(f.node);
    if (c === undefined) r.byNode.set(f.node, (c = { files: 0, bytes: 0 }));
    c.files++;
    c.bytes += f.size;
    if (row !== 'ok') {
      const ex = this.examples.get(row) ?? [];
      if (ex.length < EXAMPLES_PER_ROW) ex.push(f);
      this.examples.set(row, ex);
    }
    if (row === 'misplaced:double-dot-suspected') this.maxChance = Math.max(this.maxChance, Number(f.evidence?.chance ?? 0));
  }

  count(row: Row): number {
    return this.rows.get(row)?.total.files ?? 0;
  }

  /** Files on disk (missing replicas are absent files: not counted). */
  totals(): Cell {
    const t = { files: 0, bytes: 0 };
    for (const [row, r] of this.rows) {
      if (row === 'missing-replica') continue;
      t.files += r.total.files;
      t.bytes += r.total.bytes;
    }
    return t;
  }

  toJson(locations: readonly StorageLocation[]): Record<string, unknown> {
    const classes: Record<string, unknown> = {};
    for (const row of ROWS) {
      const r = this.rows.get(row);
      if (r === undefined) continue;
      const nodes: Record<string, Cell> = {};
      for (const loc of locations) {
        const c = r.byNode.get(loc.id);
        if (c !== undefined) nodes[loc.id] = c;
      }
      classes[row] = { ...r.total, nodes };
    }
    return { ...this.totals(), classes };
  }
}

/** --fail-on values: classes, summary rows, or explanations (old-ring, double-dot, cleansing, unexplained). */
export function parseFailOn(text: string | undefined): string[] {
  if (text === undefined) return [];
  const valid = new Set<string>([...FILE_CLASSES, ...ROWS, ...EXPLANATIONS, 'double-dot-confirmed', 'double-dot-suspected']);
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const k = raw.trim();
    if (k === '') continue;
    if (!valid.has(k))
      throw new UsageError(`--fail-on: unknown kind ${JSON.stringify(k)}`, {
        expected: `a level (error, warning, info, never) or kinds: ${[...FILE_CLASSES.filter((c) => c !== 'ok'), ...EXPLANATIONS].join(', ')}`,
      });
    out.push(k);
  }
  return out;
}

/** Rows (with files) that a --fail-on list matches. */
export function failingRows(tally: AuditTally, failOn: readonly string[]): Row[] {
  const hit: Row[] = [];
  for (const row of ROWS) {
    if (tally.count(row) === 0) continue;
    const matches = failOn.some(
      (k) => row === k || row.startsWith(k + ':') || row === `misplaced:${k}` || row.startsWith(`misplaced:${k}-`),
    );
    if (matches) hit.push(row);
  }
  return hit;
}

/** The human summary: a table of files and bytes per class and location, then examples and notes. */
export function renderAuditText(tally: AuditTally, locations: readonly StorageLocation[], notes: readonly string[]): string[] {
  const header = ['class', 'files', 'bytes', ...locations.map((l) => l.id)];
  const rows: string[][] = [header];
  for (const row of ROWS) {
    const r = tally.rows.get(row);
    if (r === undefined) continue;
    rows.push([
      row,
      String(r.total.files),
      formatBytes(r.total.bytes),
      ...locations.map((l) => {
        const c = r.byNode.get(l.id);
        return c === undefined ? '-' : `${c.files} (${formatBytes(c.bytes)})`;
      }),
    ]);
  }
  const t = tally.totals();
  rows.push(['total on disk', String(t.files), formatBytes(t.bytes), ...locations.map(() => '')]);
  const out = alignColumns(rows);

  for (const row of ROWS) {
    const ex = tally.examples.get(row);
    if (ex === undefined || row === 'self-metric') continue;
    out.push('', `${row}:`);
    for (const f of ex) out.push(`  ${describeFinding(f)}`);
    const more = tally.count(row) - ex.length;
    if (more > 0) out.push(`  … ${more} more (--json lists every finding)`);
  }
  const self = tally.count('self-metric');
  if (self > 0)
    out.push('', `self-metric: ${self} file${self === 1 ? '' : 's'} of the caches' own metrics (written locally, not misplaced)`);
  if (tally.count('misplaced:double-dot-suspected') > 0) {
    out.push(
      '',
      'note: "suspected" double-dot files are guesses. A stored name with k segments has k one-dot variants; each',
      "  lands on a given location with that location's share of the keyspace, so some variant owns the file's",
      `  location by chance alone with probability up to ${formatPercent(tally.maxChance)} here. Confirm with --names FILE`,
      '  (names as the relays received them: relay logs, carbon-c-relay -t output, carbon.agents.*.creates).',
    );
  }
  for (const n of notes) out.push(`note: ${n}`);
  return out;
}

function describeFinding(f: AuditFinding): string {
  const name = f.metric ?? '(no name)';
  const owners = f.owners.length > 0 ? `; owners ${f.owners.join(', ')}` : '';
  const ev = f.evidence ?? {};
  switch (f.kind) {
    case 'missing-replica':
      return `${name} missing at ${f.node} (held at ${(ev.heldAt as string[]).join(', ')})`;
    case 'extra-copy':
      return `${name} at ${f.node}: an extra copy${owners}`;
    case 'misplaced': {
      let why: string;
      if (f.explanation === 'old-ring') why = `an owner under the old ring (${(ev.oldOwners as string[]).join(', ')})`;
      else if (f.explanation === 'double-dot') {
        const raw = (ev.raw as string[]).map((r) => JSON.stringify(r)).join(', ');
        why =
          ev.confidence === 'confirmed'
            ? `double-dot, confirmed: the relay hashes ${raw} here`
            : `double-dot, suspected: ${ev.matching} of ${ev.variants} one-dot variants hash here (${raw}); chance ${formatPercent(Number(ev.chance))}`;
      } else if (f.explanation === 'cleansing') {
        why =
          ev.twin === null ? `carbon-c-relay drops this name` : `carbon-c-relay writes it as ${JSON.stringify(ev.twin)} (a split metric)`;
      } else why = 'unexplained';
      return `${name} at ${f.node}: ${why}${owners}`;
    }
    case 'trailing-dot':
      return `${f.path} at ${f.node}: written for the raw name ${JSON.stringify(ev.raw)}${ev.twin !== undefined ? ` (carbon-c-relay now writes ${JSON.stringify(ev.twin)})` : ev.atOwner === true ? ' (an owner of that raw name)' : ''}`;
    default:
      return `${f.path} at ${f.node}${ev.note !== undefined ? `: ${String(ev.note)}` : ''}`;
  }
}
