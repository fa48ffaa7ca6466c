// carbon-unknown-hash-type (R15): carbon falls back to md5 (carbon_ch) for any ROUTER_HASH_TYPE it does not
// know. With a did-you-mean candidate the fix sets it.
import { iniSetValue } from '../fix-edits.js';
import { dataList, defineRule } from '../rule-definition.js';

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
    {
      source: 'carbon-conf',
      code: 'unknown-hash-type',
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
