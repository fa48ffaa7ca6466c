// routing-key-rewritten (R13): names are rewritten before hashing or storing (c-relay `route using` and
// rewrites, carbon-aggregator [pre] rewrites, relay-ng rewriters), so tools that hash stored names
// disagree with the relay. Whether the rewrite is wanted is the user's call: advice only.
import { dirname } from 'node:path';
import { list } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'routing-key-rewritten',
    ref: 'R13',
    severity: 'warning',
    summary: 'Names are rewritten before hashing or storing, so tools that hash stored names disagree',
    fixable: 'advice',
    messages: {
      routeUsing:
        "route using {{key}}: carbon-c-relay hashes this key instead of the metric name, but stores the metric under its own name; graphite-web's carbonlink and every tool that hashes stored names{{who}} look for these metrics on another node",
      who: ' (here: {{readers}})',
      fixRouteUsing:
        "nothing in the readers can follow a route-using key: scan with the relay's own test mode (carbon-c-relay -t) for these names, and expect carbonlink misses for them",
      rewrite:
        'rewrite {{pattern}} into {{replacement}}: later rules hash and store the rewritten name, which is not re-cleansed; names that arrive in the old form are stored under the new one, so tools that derive names from files see a different name than was sent',
      fixRewrite:
        'nothing to change if intended; run misplacement scans on stored names (which is what this relay hashes after the rewrite)',
      pre: '[pre] rewrites ({{n}} {{rules}}) rename metrics in carbon-aggregator before they are stored, after the relay in front hashed the received name: the stored names hash to other nodes, so a misplacement scan reports them and carbonlink misses them',
      fixPre: 'rewrite names before the hashing relay (or in the client), not in the aggregator',
      rewriter:
        "{{label}}: carbon-relay-ng rewrites names before routing; what it stores is not what the client sent, and tools that hash the client's names disagree",
      fixRewriter: 'nothing to change if intended; scan stored names, not client names',
    },
  },
  check(ctx) {
    const readers = [
      ...ctx.webapps.filter((w) => w.ring !== undefined).map((w) => ctx.display(w.file)),
      ...ctx.rings.filter((r) => r.role === 'tool').map((r) => ctx.display(r.file)),
    ];
    const who = readers.length > 0 ? rule.msg('who', { readers: list([...new Set(readers)], 4) }) : '';
    for (const cfg of ctx.crelays) {
      const hashing = new Set(
        cfg.clusters.filter((c) => c.type === 'carbon_ch' || c.type === 'fnv1a_ch' || c.type === 'jump_fnv1a_ch').map((c) => c.name),
      );
      if (hashing.size === 0) continue;
      for (const r of cfg.rules) {
        if (r.kind === 'match' && r.routeUsing !== undefined && r.sendTo.some((c) => hashing.has(c))) {
          rule.report(ctx, {
            file: r.file,
            line: r.routeUsing.line,
            message: rule.msg('routeUsing', { key: r.routeUsing.text, who }),
            fix: rule.msg('fixRouteUsing'),
          });
        }
        if (r.kind === 'rewrite') {
          rule.report(ctx, {
            file: r.file,
            line: r.line,
            message: rule.msg('rewrite', { pattern: r.pattern.text, replacement: r.replacement.text }),
            fix: rule.msg('fixRewrite'),
            severity: 'info',
          });
        }
      }
    }
    // carbon-aggregator [pre] rewrites change the stored name after the relay hashed the received one.
    const aggregatorDirs = new Set(ctx.aggregationUsers.filter((u) => u.role === 'aggregator').map((u) => dirname(u.file)));
    for (const [file, rules] of ctx.rewriteRules) {
      const pre = rules.sections.get('pre') ?? [];
      if (pre.length === 0 || (aggregatorDirs.size > 0 && !aggregatorDirs.has(dirname(file)))) continue;
      rule.report(ctx, {
        file,
        line: pre[0]!.line,
        message: rule.msg('pre', { n: pre.length, rules: pre.length === 1 ? 'rule' : 'rules' }),
        fix: rule.msg('fixPre'),
      });
    }
    for (const r of ctx.rewriters) {
      rule.report(ctx, {
        file: r.file,
        line: r.line,
        message: rule.msg('rewriter', { label: r.label }),
        fix: rule.msg('fixRewriter'),
        severity: 'info',
      });
    }
  },
});
