// carbon.conf keys whose value must be one of a fixed set (ROUTER_HASH_TYPE, RELAY_METHOD): the reader
// reports an unknown value with did-you-mean candidates (src/config/carbon-conf.ts), and every such rule
// turns it into the same finding — the fix sets the closest known value when there is one (an edit that
// makes the finding disappear), and otherwise names the values carbon knows.
import { iniSetValue } from './fix-edits.js';
import type { DiagnosticRoute } from './lint-context.js';
import { dataList } from './rule-definition.js';

/** The diagnostic route of an "unknown enum value" rule; `fix` words the two kinds of fix in the rule's own messages. */
export function unknownSettingValueRoute(code: string, fix: { setTo: (value: string) => string; choose: () => string }): DiagnosticRoute {
  return {
    source: 'carbon-conf',
    code,
    fix: (d): string => {
      const s = dataList(d, 'suggestions');
      return s.length > 0 ? fix.setTo(s[0]!) : fix.choose();
    },
    edits: (d, ctx) => {
      const s = dataList(d, 'suggestions');
      return s.length > 0 ? [iniSetValue(ctx, d.file, d.line, s[0]!)] : undefined;
    },
  };
}
