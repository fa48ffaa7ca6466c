// carbon-unknown-relay-method (R15): carbon-relay exits on a RELAY_METHOD it does not know. With a
// did-you-mean candidate the fix sets it.
import { iniSetValue } from '../fix-edits.js';
import { dataList, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-unknown-relay-method',
    ref: 'R15',
    severity: 'error',
    summary: 'RELAY_METHOD is not a carbon router; carbon-relay exits',
    fixable: 'edit',
    messages: {
      fixSuggest: 'set RELAY_METHOD = {{value}}',
      fix: 'use rules, consistent-hashing, aggregated-consistent-hashing, fast-hashing or fast-aggregated-hashing',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'unknown-relay-method',
      fix: (d): string => {
        const s = dataList(d, 'suggestions');
        return s.length > 0 ? rule.msg('fixSuggest', { value: s[0]! }) : rule.msg('fix');
      },
      edits: (d, ctx) => {
        const s = dataList(d, 'suggestions');
        return s.length > 0 ? [iniSetValue(ctx, d.file, d.line, s[0]!)] : undefined;
      },
    },
  ],
});
