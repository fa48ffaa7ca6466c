// config-warning (R15): every parser diagnostic no other rule claims — accepted by the program, probably
// not meant. Its message is the parser's; each code gets its remedy here (an edit where the config decides
// it). A new parser warning without a route here has no fix, which lint-upstream.test.ts catches on the
// fixtures and upstream configs.
import type { ConfigDiagnostic } from '../../config/diagnostics.js';
import { lineAt, replaceInLine } from '../fix-edits.js';
import { dataList, dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'config-warning',
    ref: 'R15',
    severity: 'warning',
    summary: 'Any other problem a config parser reports (accepted by the program, probably not meant)',
    fixable: 'advice',
    messages: {
      fixDeprecated: "write 'statistics send to …' (the same statement in the current syntax)",
      fixUnreachable: 'move this {{rule}} above the `match * … stop` rule, or drop that rule’s stop',
      fixIncludeNoMatch: 'point the include at the files meant (relative to this file), or remove it',
      fixRegexUnverified: "check the expression with the program's own matcher (carbon-c-relay -t reads names from stdin)",
      fixOutputUncaptured: 'capture {{fields}} in the input pattern, or take {{them}} out of the output',
      fixOutputDoubled: 'write <field> in the output, not <<field>>',
      fixStorageUnknown: 'spell the key as a ring member (server or server:instance) or remove it',
      fixStorageMissing: 'add a storage: entry for {{member}} (its whisper directory, local or ssh://)',
      fixCarbonateKey: 'rename it to {{key}}',
      fixCarbonateKeyUnknown:
        'remove it, or correct the name (carbonate reads DESTINATIONS, REPLICATION_FACTOR, SSH_USER, HASHING_TYPE, …)',
      fixInlineComment: 'move the comment to a line of its own',
      fixBoolOfString:
        'leave the value empty ({{key}} =) for False: carbonate passes the text to bool(), so any text, "{{raw}}" included, means True',
      fixCarbonateRelayMethod: 'write RELAY_METHOD = consistent-hashing (what carbonate does with it), or aggregated-consistent-hashing',
      fixHashType: 'write one of carbon_ch, fnv1a_ch, mmh3_ch{{suggestion}}',
    },
  },
  diagnostics: [
    { source: '*', code: '*' },
    { source: 'relayng', code: 'relayng-init-syntax', fix: 'separate the route options and each destination with two spaces' },
    {
      source: 'crelay',
      code: 'deprecated-syntax',
      fix: (): string => rule.msg('fixDeprecated'),
      edits: (d, ctx) => [replaceInLine(ctx, d.file, d.line, 'send statistics to', 'statistics send to')],
    },
    {
      source: 'crelay',
      code: 'unreachable-rule',
      fix: (d): string => rule.msg('fixUnreachable', { rule: dataString(d, 'rule') ?? 'rule' }),
    },
    { source: 'crelay', code: 'include-no-match', fix: (): string => rule.msg('fixIncludeNoMatch') },
    { source: 'crelay', code: 'regex-unverified', fix: (): string => rule.msg('fixRegexUnverified') },
    {
      source: 'carbon-rules',
      code: 'aggregation-output-template',
      fix: (d): string => {
        const missing = dataList(d, 'missing');
        if (missing.length === 0) return rule.msg('fixOutputDoubled');
        return rule.msg('fixOutputUncaptured', {
          fields: missing.map((f) => `<${f}>`).join(', '),
          them: missing.length === 1 ? 'it' : 'them',
        });
      },
    },
    { source: 'cluster-file', code: 'storage-unknown-member', fix: (): string => rule.msg('fixStorageUnknown') },
    {
      source: 'cluster-file',
      code: 'storage-missing',
      fix: (d): string => {
        const instance = dataString(d, 'instance');
        const member = `${dataString(d, 'server') ?? 'the member'}${instance === undefined ? '' : `:${instance}`}`;
        return rule.msg('fixStorageMissing', { member });
      },
    },
    {
      source: 'carbonate',
      code: 'unknown-key',
      fix: (d): string => {
        const s = dataList(d, 'suggestions');
        return s.length > 0 ? rule.msg('fixCarbonateKey', { key: s[0]! }) : rule.msg('fixCarbonateKeyUnknown');
      },
    },
    { source: 'carbonate', code: 'inline-comment', fix: (): string => rule.msg('fixInlineComment') },
    {
      source: 'carbonate',
      code: 'bool-of-string',
      fix: (d): string => rule.msg('fixBoolOfString', { key: dataString(d, 'key') ?? 'the key', raw: dataString(d, 'raw') ?? 'False' }),
      // `KEY = False` → `KEY =`: the value that means False to bool().
      edits: (d, ctx) => {
        const text = lineAt(ctx, d.file, d.line);
        const raw = dataString(d, 'raw');
        const m = text === undefined || raw === undefined ? null : /^(\s*[^=:\s]+\s*[=:])\s*(.*?)\s*$/.exec(text);
        if (m === null || m[2] !== raw) return undefined;
        return [{ file: d.file, line: d.line!, old: text!, new: m[1]! }];
      },
    },
    { source: 'carbonate', code: 'unknown-relay-method', fix: (): string => rule.msg('fixCarbonateRelayMethod') },
    { source: 'carbonate', code: 'unknown-hash-type', fix: hashTypeFix },
    { source: 'local-settings', code: 'unknown-hash-type', fix: hashTypeFix },
  ],
});

function hashTypeFix(d: ConfigDiagnostic): string {
  const s = dataList(d, 'suggestions');
  return rule.msg('fixHashType', { suggestion: s.length > 0 ? ` (did you mean ${s[0]}?)` : '' });
}
