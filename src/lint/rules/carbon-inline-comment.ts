// carbon-inline-comment (R15): Python 3's configparser keeps `# …` and `; …` after a value as part of it.
// The fix moves the comment to a line of its own above the option.
import type { LintContext } from '../context.js';
import { lineAt } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import { dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-inline-comment',
    ref: 'R15',
    severity: 'warning',
    summary: 'An inline # or ; comment in carbon.conf becomes part of the value',
    fixable: 'edit',
    messages: { fix: 'move {{comment}} to a line of its own above {{key}}' },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'inline-comment',
      fix: (d): string =>
        rule.msg('fix', { comment: JSON.stringify(dataString(d, 'comment') ?? '# …'), key: dataString(d, 'key') ?? 'the key' }),
      edits: (d, ctx) => [moveCommentEdit(ctx, d.file, d.line)],
    },
  ],
});

/** `KEY = value   # comment` → `# comment` above `KEY = value`. */
export function moveCommentEdit(ctx: LintContext, file: string, line: number | null): FixEdit | undefined {
  const text = lineAt(ctx, file, line);
  if (text === undefined) return undefined;
  const m = /^(.*?\S)\s+([#;].*)$/.exec(text);
  if (m === null) return undefined;
  const indent = /^\s*/.exec(text)![0];
  return { file, line: line!, old: text, new: `${indent}${m[2]}\n${m[1]}` };
}
