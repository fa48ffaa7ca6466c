// relay-rules-invalid (R11): the relay-rules.conf a RELAY_METHOD = rules relay reads is missing or refused
// (no default rule or two, a section without destinations, a regex that does not compile). carbon-relay
// exits; which rule was meant is for a person to say.
import type { LintContext, RulesRelay } from '../context.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'relay-rules-invalid',
    ref: 'R11',
    severity: 'error',
    summary: 'relay-rules.conf is refused by carbon-relay (default rule, destinations, regexes)',
    fixable: 'advice',
    messages: {
      missing: 'RELAY_METHOD = rules reads {{path}}, which does not exist: carbon-relay exits at startup',
      fixMissing: "create {{path}} with a default rule, or set RELAY_RULES to the file's path",
      fixRefused: 'give every section a destinations list, and exactly one section `default = true` (without a pattern)',
      fixIgnored: "add 'pattern = …' or 'default = true', or remove the section",
    },
  },
  diagnostics: [{ source: 'carbon-rules', code: 'ignored-rule', severity: 'warning', fix: (): string => rule.msg('fixIgnored') }],
});

/** A rules relay whose relay-rules.conf does not exist. */
export function reportMissingRules(ctx: LintContext, relay: RulesRelay): void {
  rule.report(ctx, {
    file: relay.rulesWhere.file,
    line: relay.rulesWhere.line,
    message: rule.msg('missing', { path: relay.rulesPath }),
    fix: rule.msg('fixMissing', { path: relay.rulesPath }),
  });
}
