// `ringshift lint --rules`: the catalogue as a table (or NDJSON, one rule a line), with where each rule's
// page is.
import { alignColumns } from '../output/table.js';
import { RULE_METAS } from './rule-catalogue.js';

export function ruleListText(): string {
  const rows = RULE_METAS.map((r) => [r.id, r.ref, r.severity, r.fixable, r.summary]);
  return (
    alignColumns([['RULE', 'REF', 'SEVERITY', 'FIX', 'CHECKS'], ...rows]).join('\n') +
    '\n\nEach rule is documented in docs/rules/<rule>.md.\n'
  );
}

/** One JSON object per rule (NDJSON). */
export function ruleListJson(): string {
  return RULE_METAS.map(
    (r) =>
      JSON.stringify({ id: r.id, ref: r.ref, severity: r.severity, fixable: r.fixable, summary: r.summary, doc: `docs/rules/${r.id}.md` }) +
      '\n',
  ).join('');
}
