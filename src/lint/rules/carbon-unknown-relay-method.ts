// carbon-unknown-relay-method (R15): carbon-relay exits on a RELAY_METHOD it does not know. With a
// did-you-mean candidate the fix sets it.
import { defineRule } from '../rule-definition.js';
import { unknownSettingValueRoute } from '../unknown-setting-value.js';

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
    unknownSettingValueRoute('unknown-relay-method', {
      setTo: (value): string => rule.msg('fixSuggest', { value }),
      choose: (): string => rule.msg('fix'),
    }),
  ],
});
