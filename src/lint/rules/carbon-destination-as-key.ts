// carbon-destination-as-key (R15): an unindented continuation line of DESTINATIONS (`graphite-2:2004:a`) is
// read as a key `graphite-2 = 2004:a`. The fix indents the line (and puts the comma the list needs on the
// line before).
import type { LintContext } from '../context.js';
import { fileLines, replaceLines } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import { dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-destination-as-key',
    ref: 'R15',
    severity: 'error',
    summary: 'An unindented continuation line of DESTINATIONS was read as a key',
    fixable: 'edit',
    messages: {
      fix: 'indent this line so it continues {{key}} (and keep the comma on the line before)',
      fixSection: 'indent the line so it continues the previous value',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'host-port-key',
      fix: (d): string => rule.msg('fix', { key: dataString(d, 'continues') ?? 'DESTINATIONS' }),
      edits: (d, ctx) => [indentContinuationEdit(ctx, d.file, d.line)],
    },
    { source: 'carbon-conf', code: 'host-port-section', fix: (): string => rule.msg('fixSection') },
  ],
});

/** Indent `line` so it continues the value above; the line above gets the separating comma if it lacks it. */
export function indentContinuationEdit(ctx: LintContext, file: string, line: number | null): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined || line === null || line < 2) return undefined;
  const prev = lines[line - 2]!;
  const cur = lines[line - 1]!;
  if (prev.trim() === '' || /^\s*[#;[]/.test(prev) || /^\s/.test(cur)) return undefined;
  const comma = prev.trimEnd().endsWith(',') ? prev : `${prev.trimEnd()},`;
  return replaceLines(ctx, file, line - 1, line, `${comma}\n    ${cur}`);
}
