// relay-rules-unknown-destination (R11): carbon-relay yields only destinations that are in [relay]
// DESTINATIONS; a rule that sends elsewhere is dropped silently. The fix adds the destination to
// DESTINATIONS (the rule says where the metrics are meant to go).
import { memberId } from '../../ring/types.js';
import { list } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';
import { iniAppendToList } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'relay-rules-unknown-destination',
    ref: 'R11',
    severity: 'error',
    summary: 'A relay rule sends to a destination that is not in [relay] DESTINATIONS (silently dropped)',
    fixable: 'edit',
    messages: {
      unknown:
        'rule [{{rule}}] sends to {{dest}}, which is not in [{{section}}] DESTINATIONS of {{relay}} ({{configured}}): carbon-relay yields only configured destinations and drops this one silently',
      fix: 'add {{dest}} to DESTINATIONS in {{relay}}, or send this rule to a configured destination',
    },
  },
  check(ctx) {
    for (const relay of ctx.rulesRelays) {
      const rules = ctx.rulesOfRelay.get(relay);
      if (rules === undefined) continue;
      const configured = new Set(relay.destinations.map((d) => memberId(d)));
      for (const r of rules.rules) {
        for (const dest of r.destinations) {
          if (configured.has(memberId(dest.destination))) continue;
          rule.report(ctx, {
            file: rules.file,
            line: dest.line,
            message: rule.msg('unknown', {
              rule: r.name,
              dest: dest.text,
              section: relay.section,
              relay: ctx.display(relay.file),
              configured: list(relay.destinations.map((d) => memberId(d))) || 'empty',
            }),
            fix: rule.msg('fix', { dest: dest.text, relay: ctx.display(relay.file) }),
            edits: [iniAppendToList(ctx, relay.file, relay.section, 'DESTINATIONS', dest.text)],
            related: [relay.destinationsWhere],
          });
        }
      }
    }
  },
});
