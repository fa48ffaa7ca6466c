// carbon-unknown-key (R15): a key carbon never reads (a typo, or a retired name) is accepted silently.
// With one did-you-mean candidate the fix renames the key.
import { lineAt } from '../fix-edits.js';
import { dataList, dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-unknown-key',
    ref: 'R15',
    severity: 'warning',
    summary: 'carbon.conf sets a key carbon never reads (typo or retired name)',
    fixable: 'edit',
    messages: { rename: 'rename it to {{key}}', remove: 'remove it, or correct the name (see carbon.conf.example)' },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'unknown-key',
      fix: (d): string => {
        const s = dataList(d, 'suggestions');
        return s.length > 0 ? rule.msg('rename', { key: s[0]! }) : rule.msg('remove');
      },
      edits: (d, ctx) => {
        const s = dataList(d, 'suggestions');
        const key = dataString(d, 'key');
        const text = lineAt(ctx, d.file, d.line);
        if (s.length === 0 || key === undefined || text === undefined) return undefined;
        const m = /^(\s*)([^=:\s]+)/.exec(text);
        if (m === null || m[2]!.toUpperCase() !== key) return undefined;
        return [{ file: d.file, line: d.line!, old: text, new: `${m[1]}${s[0]}${text.slice(m[0].length)}` }];
      },
    },
  ],
});
