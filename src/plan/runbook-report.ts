// What `plan` prints about the change, the runbook and the read impact (text), and the same as JSON fields.
import { alignColumns } from '../output/table.js';
import { formatPercent, plural } from '../units.js';
import type { ChangeReport } from './change-kind.js';
import { READERS, READER_LABELS, type ReadImpactReport, type ReaderImpact } from './read-impact.js';
import { renderPhases, type PlanRunbook } from './runbook.js';

export function renderChangeText(c: ChangeReport): string[] {
  const out: string[] = [];
  const what: string[] = [];
  for (const k of c.kinds) {
    if (k === 'add') what.push(`add ${c.added.join(', ')}`);
    else if (k === 'remove') what.push(`remove (evacuate) ${c.removed.join(', ')}`);
    else if (k === 'replace') what.push(`replace ${c.replace!.pairs.map((p) => `${p.from} → ${p.to}`).join(', ')}`);
    else if (k === 'replication') what.push(`replication ${c.replication!.from} → ${c.replication!.to}`);
    else if (k === 'migration') what.push(`migrate ${c.migration!.from} → ${c.migration!.to}`);
    else what.push('no ring change');
  }
  out.push(
    `change: ${what.join('; ')}; ${formatPercent(c.moved)} of the keyspace changes owners (primary ${formatPercent(c.primaryMoved)}; ${c.exact ? 'exact, every position' : 'sampled'})`,
  );
  if (c.replication !== undefined) {
    out.push(
      c.replication.to > c.replication.from
        ? '  replication grows: copies to the new replicas only, nothing is deleted'
        : '  replication shrinks: an extra copy is deleted only after the surviving one holds the union (fills first)',
    );
  }
  if (c.replace !== undefined)
    out.push(`  ${c.replace.identityPreserving ? 'identity-preserving' : 'not identity-preserving'}: ${c.replace.note}`);
  for (const a of c.alternatives) {
    out.push(
      `  alternative: ${a.what}: ${a.keepsPlacement ? 'keeps every metric where it is (only the replaced node is copied)' : `${formatPercent(a.moved)} changes owners`}`,
    );
    out.push(`    members: ${a.destinations.join(' ')}`);
  }
  for (const r of c.readers) if (r.mismatch === null || r.mismatch > 0) out.push(`  warning: ${r.reader}: ${r.note}`);
  return out;
}

function cell(r: ReaderImpact, total: number): string {
  if (r.gaps === 0 && r.recent === 0) return '0';
  const parts: string[] = [];
  if (r.gaps > 0) parts.push(`${r.gaps} gap (${formatPercent(r.gaps / total)})`);
  if (r.recent > 0) parts.push(`${r.recent} recent missed`);
  return parts.join(', ');
}

export function renderReadImpactText(r: ReadImpactReport): string[] {
  if (r.metrics === 0) return [];
  const out = [`read impact: what the graphs of the ${plural(r.metrics, 'metric')} the plan touches show at the end of each phase`];
  const rows: string[][] = [['phase', ...READERS.map((x) => READER_LABELS[x])]];
  for (const p of r.phases) rows.push([p.phase, ...READERS.map((x) => cell(p.readers[x], r.metrics))]);
  out.push(...alignColumns(rows).map((l) => `  ${l}`));
  for (const p of r.phases)
    for (const x of READERS) {
      const ri = p.readers[x];
      if (ri.gapSample.length > 0)
        out.push(`  ${p.phase}, ${READER_LABELS[x]}: a gap in ${ri.gapSample.join(', ')}${ri.gaps > ri.gapSample.length ? ', …' : ''}`);
      if (ri.recentSample.length > 0)
        out.push(
          `  ${p.phase}, ${READER_LABELS[x]}: newest points missed in ${ri.recentSample.join(', ')}${ri.recent > ri.recentSample.length ? ', …' : ''}`,
        );
    }
  return out;
}

export function renderRunbookText(rb: PlanRunbook): string[] {
  const out = renderPhases(rb.phases);
  const sw = rb.switch;
  if (sw.configs.length === 0 && sw.manual.length === 0) {
    out.push(
      'switch: no config files given (--configs PATH): deploy the new ring to every relay, CARBONLINK_HOSTS/CLUSTER_SERVERS of every webapp, carbonate.conf',
    );
  } else {
    out.push(
      sw.lint.errors === 0
        ? `switch: ${plural(sw.configs.length, 'config edit')} to deploy (linted clean)`
        : `switch: the edited configs do not lint clean (${plural(sw.lint.errors, 'error')}): fix these before deploying`,
    );
    for (const m of sw.lint.messages) out.push(`  lint: ${m}`);
    if (sw.lint.errors === 0)
      for (const c of sw.configs)
        out.push(
          ...c.diff
            .trimEnd()
            .split('\n')
            .map((l) => `  ${l}`),
        );
    for (const m of sw.manual) out.push(`  by hand: ${m.file}: ${m.why}`);
  }
  return out;
}

/** The fields `plan --json` adds. */
export function runbookJson(r: {
  runbook?: PlanRunbook;
  readImpact?: ReadImpactReport;
  change?: ChangeReport;
  configsWritten?: string[];
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.change !== undefined) out.change = r.change;
  if (r.runbook !== undefined) out.runbook = { phases: r.runbook.phases, switch: r.runbook.switch, estimate: r.runbook.estimate };
  if (r.readImpact !== undefined) out.readImpact = r.readImpact;
  if (r.configsWritten !== undefined) out.configsWritten = r.configsWritten;
  return out;
}
