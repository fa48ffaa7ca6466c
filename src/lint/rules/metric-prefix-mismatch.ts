// metric-prefix-mismatch (R12): caches that keep their self-metrics local (RELAY_CACHE_METRICS = False)
// write them under their CARBON_METRIC_PREFIX; the webapp must use the same prefix, or it hashes those
// names like any metric and asks one cache instead of all. The fix sets the webapp's prefix.
import { pyString } from '../fix-edits.js';
import { defineRule } from '../rule-definition.js';
import { pySetOrAppend } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'metric-prefix-mismatch',
    ref: 'R12',
    severity: 'warning',
    summary: "The webapp's CARBON_METRIC_PREFIX is not the caches' self-metrics prefix",
    fixable: 'edit',
    messages: {
      cache:
        'carbon-cache {{instance}}{{on}} writes its self-metrics locally under "{{prefix}}" (RELAY_CACHE_METRICS = False), but this webapp\'s CARBON_METRIC_PREFIX is "{{mine}}": it hashes "{{prefix}}.*" like any metric instead of asking every cache, so most of them are missing from graphs (and a misplacement scan must skip them)',
      fixCache: 'set CARBON_METRIC_PREFIX = "{{prefix}}" here, or the same prefix in the caches',
      goCarbon:
        'go-carbon writes its own metrics locally under "{{prefix}}", which does not start with this webapp\'s CARBON_METRIC_PREFIX "{{mine}}": they are hashed like other metrics and mostly not found',
      fixGoCarbon: 'set CARBON_METRIC_PREFIX = "{{prefix}}"',
    },
  },
  check(ctx, topo) {
    for (const w of ctx.webapps) {
      const pw = w.metricPrefix.value;
      const seen = new Set<string>();
      const caches = w.host !== undefined ? topo.caches.filter((c) => c.host === w.host || c.host === undefined) : topo.caches;
      for (const c of caches) {
        if (c.relayCacheMetrics.value) continue;
        const pc = c.metricPrefix.value;
        if (pc.startsWith(pw) || seen.has(pc)) continue;
        seen.add(pc);
        rule.report(ctx, {
          file: w.metricPrefix.where.file,
          line: w.metricPrefix.where.line,
          message: rule.msg('cache', { instance: c.instance, on: c.host ? ` on ${c.host}` : '', prefix: pc, mine: pw }),
          fix: rule.msg('fixCache', { prefix: pc }),
          edits: [pySetOrAppend(ctx, w.file, 'CARBON_METRIC_PREFIX', pyString(pc))],
          related: [c.metricPrefix.where],
        });
      }
      for (const g of ctx.goCarbons) {
        if (g.graphPrefix === undefined || (w.host !== undefined && g.host !== undefined && g.host !== w.host)) continue;
        const pg = g.graphPrefix.value;
        if (pg.startsWith(pw) || seen.has(pg)) continue;
        seen.add(pg);
        const prefix = pg.split('.')[0]!;
        rule.report(ctx, {
          file: w.metricPrefix.where.file,
          line: w.metricPrefix.where.line,
          message: rule.msg('goCarbon', { prefix: pg, mine: pw }),
          fix: rule.msg('fixGoCarbon', { prefix }),
          edits: [pySetOrAppend(ctx, w.file, 'CARBON_METRIC_PREFIX', pyString(prefix))],
          related: [g.graphPrefix.where],
        });
      }
    }
  },
});
