// webapp-replication-exceeds-servers (R6): graphite-web's CarbonLinkPool raises when REPLICATION_FACTOR
// exceeds the distinct servers in CARBONLINK_HOSTS, on the first carbonlink query. The reader reports it
// (and compares the ring with the replication capped); the fix lowers REPLICATION_FACTOR to the servers
// listed.
import type { LintContext } from '../context.js';
import { pySetValue } from '../fix-edits.js';
import type { Where } from '../model.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'webapp-replication-exceeds-servers',
    ref: 'R6',
    severity: 'error',
    summary: "A webapp's REPLICATION_FACTOR exceeds the distinct servers in its CARBONLINK_HOSTS",
    fixable: 'edit',
    messages: {
      exceeds:
        'REPLICATION_FACTOR = {{n}} but CARBONLINK_HOSTS names {{count}} distinct {{servers}} ({{list}}): graphite-web raises "REPLICATION_FACTOR={{n}} cannot exceed servers={{count}}" on the first carbonlink query',
      fixOne:
        'set REPLICATION_FACTOR = 1: a webapp that lists only its own host finds the right instance with the ring restricted to that host',
      fixMany: 'set REPLICATION_FACTOR to at most {{count}}',
    },
  },
});

export function reportReplicationExceeds(
  ctx: LintContext,
  file: string,
  n: number,
  servers: readonly string[],
  rf: Where,
  members: Where,
): void {
  rule.report(ctx, {
    file,
    line: rf.line ?? members.line,
    message: rule.msg('exceeds', {
      n,
      count: servers.length,
      servers: servers.length === 1 ? 'server' : 'servers',
      list: servers.join(', '),
    }),
    fix: servers.length === 1 ? rule.msg('fixOne') : rule.msg('fixMany', { count: servers.length }),
    edits: [pySetValue(ctx, file, rf.line, String(servers.length))],
    related: [members],
  });
}
