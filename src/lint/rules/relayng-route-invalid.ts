// relayng-route-invalid (R16): a carbon-relay-ng consistentHashing route that cannot work as configured
// (fewer than two destinations, IPv6, a destination it cannot parse). Which destination was meant is for a
// person to say.
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'relayng-route-invalid',
    ref: 'R16',
    severity: 'error',
    summary: 'A carbon-relay-ng consistentHashing route cannot work as configured',
    fixable: 'advice',
    messages: {
      fixCount: 'give the route at least two destinations, or make it a sendAllMatch route',
      fixIpv6: 'use a host name or an IPv4 address',
      fixSyntax: 'write the destination as host:port[:instance]',
    },
  },
  diagnostics: [
    { source: 'relayng', code: 'relayng-ch-destinations', fix: (): string => rule.msg('fixCount') },
    { source: 'relayng', code: 'relayng-ipv6', fix: (): string => rule.msg('fixIpv6') },
    { source: 'relayng', code: 'relayng-destination', fix: (): string => rule.msg('fixSyntax') },
  ],
});
