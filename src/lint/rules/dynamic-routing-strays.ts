// dynamic-routing-strays (R20): dynamic routing (carbon DYNAMIC_ROUTER, c-relay `dynamic`, any_of) sends a
// down node's metrics to other nodes: expected strays, not a config bug. Nothing to edit.
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'dynamic-routing-strays',
    ref: 'R20',
    severity: 'info',
    summary: 'Dynamic routing sends metrics to non-owners during outages (expected strays)',
    fixable: 'advice',
    messages: {
      fix: 'nothing to change if intended; run the misplacement scan after an outage and fold the strays back',
      fixAnyOf: 'nothing to change if intended; expect strays on the other members after an outage',
    },
  },
  diagnostics: [
    { source: 'carbon-conf', code: 'dynamic-router', fix: (): string => rule.msg('fix') },
    { source: 'crelay', code: 'dynamic-cluster', fix: (): string => rule.msg('fix') },
    { source: 'crelay', code: 'any-of-cluster', fix: (): string => rule.msg('fixAnyOf') },
  ],
});
