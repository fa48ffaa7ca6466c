// replication-mismatch (R6): the relays of a tier, the webapps and the tools keep the same number of
// copies. The fix sets the other side's replication factor to the relay's — except for a webapp that by
// design lists only some of the relay's servers (sharded webapps fanning out to each other), which finds
// its copy with the ring restricted to its servers and replication 1.
import { list } from '../ring-compare.js';
import { relayPairs, webappExpectation } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { settingEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'replication-mismatch',
    ref: 'R6',
    severity: 'error',
    summary: 'REPLICATION_FACTOR differs between the relay, the webapps and the tools',
    fixable: 'edit',
    messages: {
      relays: 'replication {{n}} here but {{refN}} in {{refFile}}: the two place a different number of copies',
      fix: 'set the replication factor to {{n}}',
      bucky:
        'the relay keeps {{refN}} copies of every metric ({{refFile}}), but buckytools models one owner per metric: it reports every replica as misplaced',
      fixBucky: 'use a tool that models replication (carbonate, ringshift) for this cluster',
      tool: 'replication {{n}} here but {{refN}} in {{refFile}}: {{consequence}}',
      toolFewer: 'replicas look misplaced to this tool',
      toolMore: 'this tool expects copies the relay never writes',
      webappMore:
        'REPLICATION_FACTOR = {{n}} but the relay keeps {{refN}} {{copies}} ({{refFile}}): graphite-web picks {{n}} servers and queries one at random, some of which never got the metric',
      webappFewer:
        'REPLICATION_FACTOR = {{n}} but the relay keeps {{refN}} copies ({{refFile}}): carbonlink always asks the first copy and never falls back to a replica',
      fixWebapp: 'set REPLICATION_FACTOR = {{n}}',
      subset:
        "REPLICATION_FACTOR = {{n}}, but CARBONLINK_HOSTS lists only some of the relay's servers ({{servers}}): graphite-web picks {{n}} of them and queries one at random, and a metric whose other copy lives elsewhere is then looked up where it is not",
      fixSubset: 'set REPLICATION_FACTOR = 1: the ring restricted to these servers finds the copy they hold',
      fixBuckyReplicas: 'run buckyd with one copy per metric (-replicas 1); buckytools cannot rebalance replicas',
    },
  },
  check(ctx, topo) {
    for (const [ref, o] of relayPairs(topo)) {
      if (ref.spec.replication === o.spec.replication) continue;
      rule.report(ctx, {
        file: o.replication.file,
        line: o.replication.line,
        message: rule.msg('relays', { n: o.spec.replication, refN: ref.spec.replication, refFile: ctx.display(ref.file) }),
        fix: rule.msg('fix', { n: ref.spec.replication }),
        edits: [settingEdit(ctx, o, 'replication', ref.spec.replication)],
        related: [ref.replication],
      });
    }
    for (const [tool, ref] of topo.toolRefs) {
      if (ref.spec.replication === tool.spec.replication) continue;
      const bucky = tool.holder === 'buckyd' && ref.spec.replication > 1;
      const n = tool.spec.replication;
      const refN = ref.spec.replication;
      rule.report(ctx, {
        file: tool.replication.file,
        line: tool.replication.line,
        message: bucky
          ? rule.msg('bucky', { refN, refFile: ctx.display(ref.file) })
          : rule.msg('tool', {
              n,
              refN,
              refFile: ctx.display(ref.file),
              consequence: n < refN ? rule.msg('toolFewer') : rule.msg('toolMore'),
            }),
        fix: bucky ? rule.msg('fixBucky') : rule.msg('fix', { n: refN }),
        edits: bucky ? [] : [settingEdit(ctx, tool, 'replication', refN)],
        related: [ref.replication],
      });
    }
    for (const [w, m] of topo.mirrors) {
      const e = webappExpectation(w, m);
      const web = e.web;
      const rw = web.spec.replication;
      const rr = e.ring.spec.replication;
      const at = { file: web.replication.file, line: web.replication.line ?? web.members.line };
      if (e.full && rw !== rr) {
        rule.report(ctx, {
          ...at,
          ...(rw < rr ? { severity: 'warning' as const } : {}),
          message: rule.msg(rw > rr ? 'webappMore' : 'webappFewer', {
            n: rw,
            refN: rr,
            copies: rr === 1 ? 'copy' : 'copies',
            refFile: ctx.display(e.ring.file),
          }),
          fix: rule.msg('fixWebapp', { n: rr }),
          edits: [settingEdit(ctx, web, 'replication', rr)],
          related: [e.ring.replication],
        });
      } else if (!e.full && rw > 1) {
        rule.report(ctx, {
          ...at,
          message: rule.msg('subset', { n: rw, servers: list([...new Set(web.spec.destinations.map((x) => x.server))]) }),
          fix: rule.msg('fixSubset'),
          edits: [settingEdit(ctx, web, 'replication', 1)],
          related: [e.ring.replication],
        });
      }
    }
  },
  diagnostics: [{ source: 'buckyd', code: 'bucky-replicas', severity: 'warning', fix: (): string => rule.msg('fixBuckyReplicas') }],
});
