// config-warning (R15): every parser diagnostic no other rule claims — accepted by the program, probably
// not meant. Its message is the parser's; there is no generic fix.
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'config-warning',
    ref: 'R15',
    severity: 'warning',
    summary: 'Any other problem a config parser reports (accepted by the program, probably not meant)',
    fixable: 'advice',
    messages: {},
  },
  diagnostics: [
    { source: '*', code: '*' },
    { source: 'relayng', code: 'relayng-init-syntax', fix: 'separate the route options and each destination with two spaces' },
  ],
});
