// carbon-percent-interpolation (R15): carbon reads carbon.conf with interpolation on, so a bare `%` (or a
// `%(name)s` naming no key) makes configparser refuse the whole section. The fix doubles bare `%`s; a bad
// reference needs a person.
import { lineAt } from '../fix-edits.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-percent-interpolation',
    ref: 'R15',
    severity: 'error',
    summary: 'A bare % or a bad %(name)s in carbon.conf makes configparser refuse the section',
    fixable: 'edit',
    messages: { fix: 'write a literal % as %%, and refer only to keys of the same section or [DEFAULT] with %(name)s' },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'interpolation',
      fix: (): string => rule.msg('fix'),
      edits: (d, ctx) => {
        const text = lineAt(ctx, d.file, d.line);
        const m = text === undefined ? null : /^(\s*[^=:\s][^=:]*?\s*[=:])(.*)$/.exec(text);
        if (m === null) return undefined;
        const value = m[2]!.replace(/%%|%(?!\()/g, () => '%%');
        return value === m[2] ? undefined : [{ file: d.file, line: d.line!, old: text!, new: `${m[1]}${value}` }];
      },
    },
  ],
});
