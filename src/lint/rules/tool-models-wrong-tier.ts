// tool-models-wrong-tier (R21): in a two-tier layout the top relay picks the host and the relay on each
// host picks the instance. A tool must model the top relay (host-level placement); a webapp must mirror
// its host's relay. The fix writes the right tier's members into the tool or the webapp.
import { carbonlinkEntries, suggestCarbonlink } from '../carbonlink-model.js';
import { list } from '../ring-compare.js';
import {
  membersIn,
  membersOfPair,
  refWhat,
  toolModelsWrongTier,
  toolSyntax,
  webappExpectation,
  webappModelsWrongTier,
} from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { memberListEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'tool-models-wrong-tier',
    ref: 'R21',
    severity: 'warning',
    summary: 'In a two-tier relay layout, a tool or webapp models the wrong tier',
    fixable: 'edit',
    messages: {
      tool: "{{members}} lists the cache instances behind the per-host relays ({{instances}}), but in this two-tier layout the host of a metric is chosen by {{ref}}, and the instance by each host's relay: a one-ring model reports metrics as misplaced that are where they belong",
      fixTool: 'model the tier that picks the host: {{name}} = {{list}}',
      webapp:
        "CARBONLINK_HOSTS lists the top relay's members, but in this two-tier layout the cache instance is chosen by the relay on the host ({{ring}})",
      fixWebapp: "list that relay's members with their cache query ports: {{literal}}",
    },
  },
  check(ctx, topo) {
    for (const [tool, ref] of topo.toolRefs) {
      const cmp = membersOfPair(ref, tool);
      if (cmp.sameSet || !toolModelsWrongTier(topo, tool)) continue;
      const items = ref.spec.destinations.map((x) => toolSyntax(x, ref, tool));
      rule.report(ctx, {
        file: tool.members.file,
        line: tool.members.line,
        message: rule.msg('tool', { members: membersIn(ctx, tool), instances: list(cmp.onlyB), ref: refWhat(ctx, topo, ref) }),
        fix: rule.msg('fixTool', { name: tool.membersName, list: list(items, Infinity) }),
        edits: [memberListEdit(ctx, tool, items)],
        related: [ref.members],
      });
    }
    for (const [w, m] of topo.mirrors) {
      const e = webappExpectation(w, m);
      if (!webappModelsWrongTier(topo, e)) continue;
      const ring = e.ring;
      rule.report(ctx, {
        file: e.web.members.file,
        line: e.web.members.line,
        message: rule.msg('webapp', { ring: membersIn(ctx, ring) }),
        fix: rule.msg('fixWebapp', { literal: suggestCarbonlink(ctx, topo, ring, ring.spec.destinations, e.web) }),
        edits: [memberListEdit(ctx, e.web, carbonlinkEntries(ctx, topo, ring, ring.spec.destinations, e.web))],
        related: [ring.members],
      });
    }
  },
});
