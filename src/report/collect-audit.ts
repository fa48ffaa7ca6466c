// What the report adds to the audit summary, gathered from the findings as they stream by: the prefixes
// with the most files per class, the first few findings per class with why they are there, and — when
// the findings carry liveness (issue 11) — live vs stale counts. Bounded memory whatever the cluster.
import { rowOf } from '../audit/audit-report.js';
import type { AuditFinding } from '../audit/audit-findings.js';
import { formatPercent } from '../units.js';
import type { AuditDigest, Cell } from './report-input.js';

export const PREFIX_DEPTH = 2;
const TOP_PREFIXES = 10;
const EXAMPLES = 10;
/** Distinct prefixes counted per class; later ones are counted under "(other)". */
const MAX_PREFIXES = 50_000;

export class AuditDigestBuilder {
  private readonly prefixes = new Map<string, Map<string, Cell>>();
  private readonly examples = new Map<string, AuditDigest['examples'][string]>();
  private liveness: Map<string, { live: Cell; stale: Cell; unknown: Cell }> | undefined;

  add(f: AuditFinding): void {
    const row = rowOf(f);
    let p = this.prefixes.get(row);
    if (p === undefined) this.prefixes.set(row, (p = new Map()));
    let key = prefixOf(f);
    if (!p.has(key) && p.size >= MAX_PREFIXES) key = '(other)';
    const c = p.get(key);
    if (c === undefined) p.set(key, { files: 1, bytes: f.size });
    else {
      c.files++;
      c.bytes += f.size;
    }
    if (row !== 'ok') {
      let ex = this.examples.get(row);
      if (ex === undefined) this.examples.set(row, (ex = []));
      if (ex.length < EXAMPLES) ex.push({ metric: f.metric, node: f.node, path: f.path, why: whyHere(f) });
    }
    const state = livenessOf(f);
    if (state !== undefined || this.liveness !== undefined) {
      this.liveness ??= new Map();
      let l = this.liveness.get(row);
      if (l === undefined)
        this.liveness.set(row, (l = { live: { files: 0, bytes: 0 }, stale: { files: 0, bytes: 0 }, unknown: { files: 0, bytes: 0 } }));
      const cell = l[state ?? 'unknown'];
      cell.files++;
      cell.bytes += f.size;
    }
  }

  digest(): AuditDigest {
    const prefixes: AuditDigest['prefixes'] = {};
    for (const [row, m] of this.prefixes) {
      prefixes[row] = [...m.entries()]
        .map(([prefix, c]) => ({ prefix, ...c }))
        .sort((a, b) => b.files - a.files || b.bytes - a.bytes || (a.prefix < b.prefix ? -1 : 1))
        .slice(0, TOP_PREFIXES);
    }
    const out: AuditDigest = { prefixes, examples: Object.fromEntries(this.examples), prefixDepth: PREFIX_DEPTH };
    if (this.liveness !== undefined) out.liveness = Object.fromEntries(this.liveness);
    return out;
  }
}

/** The first PREFIX_DEPTH segments of the metric (or of the path, for files without a name). */
export function prefixOf(f: Pick<AuditFinding, 'metric' | 'path'>): string {
  const parts = f.metric !== null ? f.metric.split('.') : f.path.split('/');
  const head = parts.slice(0, PREFIX_DEPTH);
  return head.join(f.metric !== null ? '.' : '/') + (parts.length > PREFIX_DEPTH ? (f.metric !== null ? '.*' : '/*') : '');
}

/**
 * Liveness of a finding, when the audit gives it: `live: boolean`, `liveness: "live"|"stale"` or
 * `{state|live}`, or the same inside `evidence`. Undefined when absent.
 */
export function livenessOf(f: AuditFinding): 'live' | 'stale' | undefined {
  const r = f as unknown as Record<string, unknown>;
  for (const src of [r, f.evidence ?? {}]) {
    const v = (src as Record<string, unknown>).liveness ?? (src as Record<string, unknown>).live;
    if (v === true || v === 'live') return 'live';
    if (v === false || v === 'stale') return 'stale';
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.state === 'live' || o.live === true) return 'live';
      if (o.state === 'stale' || o.live === false) return 'stale';
    }
  }
  return undefined;
}

/** One line: why this file is where it is (the audit's explanation and evidence). */
export function whyHere(f: AuditFinding): string {
  const ev = f.evidence ?? {};
  const owners = f.owners.length > 0 ? `; owners ${f.owners.join(', ')}` : '';
  const list = (x: unknown): string => (Array.isArray(x) ? x.join(', ') : String(x ?? ''));
  switch (f.kind) {
    case 'missing-replica':
      return `missing here (held at ${list(ev.heldAt)})`;
    case 'extra-copy':
      return `an extra copy${owners}`;
    case 'misplaced':
      switch (f.explanation) {
        case 'old-ring':
          return `an owner under the old ring (${list(ev.oldOwners)})${owners}`;
        case 'double-dot': {
          const raw = list((ev.raw as string[] | undefined)?.map((s) => JSON.stringify(s)));
          return ev.confidence === 'confirmed'
            ? `double-dot, confirmed: the relay hashes ${raw} here${owners}`
            : `double-dot, suspected: ${String(ev.matching)} of ${String(ev.variants)} one-dot variants hash here (${raw}); chance ${formatPercent(Number(ev.chance ?? 0))}${owners}`;
        }
        case 'cleansing':
          return ev.twin === null ? 'carbon-c-relay drops this name' : `carbon-c-relay writes it as ${JSON.stringify(ev.twin)}${owners}`;
        default:
          return `unexplained${owners}`;
      }
    case 'trailing-dot':
      return `written for the raw name ${JSON.stringify(ev.raw)}`;
    default:
      return typeof ev.note === 'string' ? ev.note : f.kind;
  }
}
