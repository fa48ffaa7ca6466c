// carbon-unknown-hash-type (R15): carbon falls back to md5 (carbon_ch) for any ROUTER_HASH_TYPE it does not
// know. With a did-you-mean candidate the fix sets it.
import { defineRule } from '../rule-definition.js';
import { unknownSettingValueRoute } from '../unknown-setting-value.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-unknown-hash-type',
    ref: 'R15',
    severity: 'warning',
    summary: 'ROUTER_HASH_TYPE is not carbon_ch, fnv1a_ch or mmh3_ch and silently falls back to md5',
    fixable: 'edit',
    messages: {
      fixSuggest: 'set ROUTER_HASH_TYPE = {{value}} (or remove the key for carbon_ch)',
      fix: 'set ROUTER_HASH_TYPE to carbon_ch, fnv1a_ch or mmh3_ch',
    },
  },
  diagnostics: [
    unknownSettingValueRoute('unknown-hash-type', {
      setTo: (value): string => rule.msg('fixSuggest', { value }),
      choose: (): string => rule.msg('fix'),
    }),
  ],
});
