// ring-order-mismatch (R4): the same members in another order. carbon resolves colliding ring positions
// in list order (jump_fnv1a_ch assigns buckets by position), so the order is part of the ring. The fix
// reorders the list (keeping each entry as written) in the reference's order.
import type { LintContext } from '../context.js';
import type { HeldRing } from '../model.js';
import { carbonlinkEntries, suggestCarbonlink } from '../carbonlink-model.js';
import { list, nodeLabel, quantify, quantityText } from '../ring-compare.js';
import { inOrderOf, membersIn, membersOfPair, relayPairs, webappExpectation } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { memberListEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'ring-order-mismatch',
    ref: 'R4',
    severity: 'warning',
    summary: 'The same ring members are listed in a different order',
    fixable: 'edit',
    messages: {
      order: '{{members}} lists the same members as {{ref}} in another order; {{why}}.{{moved}}',
      whyJump: 'jump_fnv1a_ch assigns buckets by position in the list',
      whyCarbon: 'carbon resolves colliding ring positions in list order',
      notToday: ' Today no key changes owner, but the next member added or a collision can change that',
      today: ' Today {{quantity}}',
      fix: 'list the members in the order of {{ref}}: {{list}}',
      webapp: 'CARBONLINK_HOSTS lists the members of {{ref}} in another order; colliding positions are resolved in list order.{{moved}}',
      webappNone: ' Today no key changes owner',
      fixWebapp: "list them in the relay's order: {{literal}}",
    },
  },
  async check(ctx, topo) {
    for (const [ref, o] of relayPairs(topo)) {
      const cmp = membersOfPair(ref, o);
      if (cmp.sameSet && !cmp.sameOrder) await orderFinding(ctx, ref, o);
    }
    for (const [tool, ref] of topo.toolRefs) {
      const cmp = membersOfPair(ref, tool);
      if (cmp.sameSet && !cmp.sameOrder) await orderFinding(ctx, ref, tool);
    }
    for (const [w, m] of topo.mirrors) {
      const e = webappExpectation(w, m);
      if (!e.cmp.sameSet || e.cmp.sameOrder) continue;
      const q = await quantify({ ...e.ring.spec, destinations: e.expected }, e.web.spec);
      rule.report(ctx, {
        file: e.web.members.file,
        line: e.web.members.line,
        message: rule.msg('webapp', {
          ref: membersIn(ctx, e.ring),
          moved: q && q.owners > 0 ? rule.msg('today', { quantity: quantityText(q) }) : rule.msg('webappNone'),
        }),
        fix: rule.msg('fixWebapp', { literal: suggestCarbonlink(ctx, topo, e.ring, e.expected, e.web) }),
        edits: [memberListEdit(ctx, e.web, carbonlinkEntries(ctx, topo, e.ring, e.expected, e.web))],
        related: [e.ring.members],
      });
    }
  },
});

async function orderFinding(ctx: LintContext, ref: HeldRing, o: HeldRing): Promise<void> {
  const q = await quantify(ref.spec, o.spec);
  const moved = q === undefined ? '' : q.owners === 0 ? rule.msg('notToday') : rule.msg('today', { quantity: quantityText(q) });
  rule.report(ctx, {
    file: o.members.file,
    line: o.members.line,
    message: rule.msg('order', {
      members: membersIn(ctx, o),
      ref: membersIn(ctx, ref),
      why: ref.spec.hash === 'jump_fnv1a_ch' ? rule.msg('whyJump') : rule.msg('whyCarbon'),
      moved,
    }),
    fix: rule.msg('fix', {
      ref: membersIn(ctx, ref),
      list: list(
        ref.spec.destinations.map((x) => nodeLabel(x, ref.spec)),
        Infinity,
      ),
    }),
    edits: [memberListEdit(ctx, o, inOrderOf(o, ref))],
    related: [ref.members],
  });
}
