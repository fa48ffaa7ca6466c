// `ringshift lint --rules`: the catalogue as a table (or JSON), with where each rule's page is.
import { alignColumns } from '../output/table.js';
import { RULES } from './rules/registry.js';

export function ruleListText(): string {
  const rows = RULES.map((r) => [r.id, r.ref, r.severity, r.title]);
  return (
    alignColumns([['RULE', 'REF', 'SEVERITY', 'CHECKS'], ...rows]).join('\n') + '\n\nEach rule is documented in docs/rules/<rule>.md.\n'
  );
}

export function ruleListJson(): string {
  return JSON.stringify({ rules: RULES.map((r) => ({ ...r, doc: `docs/rules/${r.id}.md` })) }, null, 2) + '\n';
}
