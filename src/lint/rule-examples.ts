// A rule's example report, as its documentation page shows it: the rule's findings on its bad fixture
// (test/fixtures/lint/<id>/bad), linted from test/fixtures/lint, in the text format without the summary.
import { join } from 'node:path';
import type { RuleId } from './rule-catalogue.js';
import { RULE_METAS } from './rule-catalogue.js';
import { summarize } from './lint-finding.js';
import { formatReport } from './report-formats.js';
import { lintPaths } from './run.js';

/** Files a fixture names explicitly (a directory walk skips what it does not recognise). */
export const FIXTURE_EXPLICIT: Partial<Record<RuleId, readonly string[]>> = { 'file-not-recognized': ['NOTES.txt'] };

export async function ruleExampleReport(projectRoot: string, id: RuleId): Promise<string> {
  const res = await lintPaths([`${id}/bad`, ...(FIXTURE_EXPLICIT[id] ?? []).map((f) => `${id}/bad/${f}`)], {
    cwd: join(projectRoot, 'test/fixtures/lint'),
  });
  const mine = res.report.findings.filter((f) => f.rule === id);
  const text = formatReport({ findings: mine, summary: summarize(mine, 0) }, 'text', { rules: RULE_METAS });
  return text.slice(0, text.lastIndexOf('\n\n'));
}
