// carbon-section-ignored (R15): a section no carbon program reads — `[ relay ]` with spaces inside the
// brackets (fixed by removing them), or a name that is no program.
import { replaceInLine } from '../fix-edits.js';
import { dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-section-ignored',
    ref: 'R15',
    severity: 'warning',
    summary: 'A carbon.conf section no carbon program reads',
    fixable: 'edit',
    messages: {
      fixSpaces: 'remove the spaces inside the brackets',
      fixUnknown: 'rename the section to [cache], [relay], [aggregator] or [<program>:<instance>], or remove it',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'section-name-spaces',
      fix: (): string => rule.msg('fixSpaces'),
      edits: (d, ctx) => {
        const s = dataString(d, 'section');
        return s === undefined ? undefined : [replaceInLine(ctx, d.file, d.line, `[${s}]`, `[${s.trim()}]`)];
      },
    },
    { source: 'carbon-conf', code: 'unknown-section', fix: (): string => rule.msg('fixUnknown') },
  ],
});
