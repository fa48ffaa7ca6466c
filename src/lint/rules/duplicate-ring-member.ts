// duplicate-ring-member (R16): one ring lists the same (server, instance) twice. carbon-relay refuses a
// duplicate with another port; a repeat with the same port is skipped. Fixes: the repeat removed; the
// duplicate renamed to the instance of the cache that listens on its port, when that host's carbon.conf is
// linted (otherwise only a person knows which cache was meant).
import { parseCarbonDestination } from '../../ring/destination.js';
import { lineAt, replaceInLine } from '../fix-edits.js';
import { dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'duplicate-ring-member',
    ref: 'R16',
    severity: 'error',
    summary: 'One ring lists the same (server, instance) twice',
    fixable: 'edit',
    messages: {
      fixInstance: 'give each cache on one server its own instance name',
      fixRepeat: 'remove the repeated destination',
      fixMember: 'list each member once',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'duplicate-destination',
      fix: (): string => rule.msg('fixInstance'),
      edits: (d, ctx, topo) => {
        const item = dataString(d, 'item');
        if (item === undefined) return undefined;
        let dest;
        try {
          dest = parseCarbonDestination(item, { file: d.file });
        } catch {
          return undefined;
        }
        const cache = topo.caches.find((c) => c.host === dest.server && (c.pickle.value === dest.port || c.line.value === dest.port));
        if (cache === undefined || cache.instance === dest.instance) return undefined;
        const host = dest.server.includes(':') ? `[${dest.server}]` : dest.server;
        return [replaceInLine(ctx, d.file, d.line, item, `${host}:${dest.port}:${cache.instance}`)];
      },
    },
    {
      source: 'carbon-conf',
      code: 'repeated-destination',
      fix: (): string => rule.msg('fixRepeat'),
      edits: (d, ctx) => {
        const item = dataString(d, 'item');
        const text = lineAt(ctx, d.file, d.line);
        if (item === undefined || text === undefined) return undefined;
        const m = new RegExp(`,\\s*${item.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s*(?=,|$)`).exec(text);
        return m === null ? undefined : [replaceInLine(ctx, d.file, d.line, m[0], '')];
      },
    },
    { source: 'carbonate', code: 'duplicate-destination', fix: (): string => rule.msg('fixInstance') },
    { source: 'crelay', code: 'duplicate-member', severity: 'warning', fix: (): string => rule.msg('fixMember') },
  ],
});
