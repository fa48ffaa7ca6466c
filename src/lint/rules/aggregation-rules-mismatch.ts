// aggregation-rules-mismatch (R14): an aggregated-consistent-hashing relay routes by the aggregates it
// knows from its aggregation-rules.conf; the aggregators must compute with the same file, byte for byte.
// The fix copies the aggregators' file (the one that computes the aggregates) over the relay's.
import { existsSync, readFileSync } from 'node:fs';
import { splitLines } from '../../config/ini.js';
import { replaceFile } from '../fix-edits.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'aggregation-rules-mismatch',
    ref: 'R14',
    severity: 'error',
    summary: 'The aggregated-consistent-hashing relay and the aggregators use different aggregation rules',
    fixable: 'edit',
    messages: {
      missing:
        'RELAY_METHOD = aggregated-consistent-hashing reads {{path}}, which does not exist: the relay routes every metric by its own name, and aggregator inputs are split across nodes',
      fixMissing: "copy the aggregators' aggregation-rules.conf to {{path}}",
      differ:
        'the aggregated-consistent-hashing relay ({{relay}}) routes by {{mine}}, but {{aggregator}} aggregates with {{theirs}}, which differs from line {{line}}: inputs of an aggregate the relay does not know are spread over several aggregators, each computing a partial value',
      fixDiffer: 'deploy one aggregation-rules.conf to the relay and every aggregator (byte-identical)',
      tool: '{{tool}} uses RELAY_METHOD = aggregated-consistent-hashing: carbon-sieve and carbon-lookup route like the relay only when given its rules with -a{{rules}}',
      fixTool: 'always run carbonate with -a {{rules}}',
    },
  },
  check(ctx) {
    const relays = ctx.aggregationUsers.filter((u) => u.role === 'relay');
    const aggregators = ctx.aggregationUsers.filter((u) => u.role === 'aggregator');
    const tools = ctx.aggregationUsers.filter((u) => u.role === 'carbonate');
    const texts = new Map<string, string | null>();
    const textOf = (p: string): string | null => {
      if (!texts.has(p)) {
        const linted = ctx.files.find((f) => f.path === p);
        texts.set(p, linted !== undefined ? linted.text : existsSync(p) ? readFileSync(p, 'utf8') : null);
      }
      return texts.get(p)!;
    };
    for (const r of relays) {
      const mine = r.rulesPath === null ? null : textOf(r.rulesPath);
      if (mine === null) {
        rule.report(ctx, {
          ...r.where,
          message: rule.msg('missing', { path: String(r.rulesPath) }),
          fix: rule.msg('fixMissing', { path: String(r.rulesPath) }),
        });
        continue;
      }
      for (const a of aggregators) {
        if (a.rulesPath === null || a.rulesPath === r.rulesPath) continue;
        const theirs = textOf(a.rulesPath);
        if (theirs === null || theirs === mine) continue;
        const diff = firstDifference(mine, theirs);
        // A file that ends before the other is cited at its last line.
        const at = (text: string) => Math.max(1, Math.min(diff, splitLines(text.replace(/\n$/, '')).length));
        rule.report(ctx, {
          file: r.rulesPath!,
          line: at(mine),
          message: rule.msg('differ', {
            relay: r.label.replace(r.file, ctx.display(r.file)),
            mine: ctx.display(r.rulesPath!),
            aggregator: a.label.replace(a.file, ctx.display(a.file)),
            theirs: ctx.display(a.rulesPath),
            line: diff,
          }),
          fix: rule.msg('fixDiffer'),
          edits: [replaceFile(ctx, r.rulesPath!, theirs)],
          related: [{ file: a.rulesPath, line: at(theirs) }, r.where],
        });
      }
    }
    for (const t of tools) {
      const relay = relays[0];
      rule.report(ctx, {
        ...t.where,
        severity: 'warning',
        message: rule.msg('tool', {
          tool: t.label.replace(t.file, ctx.display(t.file)),
          rules: relay?.rulesPath ? ` (${ctx.display(relay.rulesPath)})` : '',
        }),
        fix: rule.msg('fixTool', { rules: relay?.rulesPath ? ctx.display(relay.rulesPath) : "<the relay's aggregation-rules.conf>" }),
      });
    }
  },
});

function firstDifference(a: string, b: string): number {
  const la = splitLines(a);
  const lb = splitLines(b);
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return Math.max(la.length, lb.length);
}
