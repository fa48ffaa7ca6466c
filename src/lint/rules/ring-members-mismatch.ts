// ring-members-mismatch (R1): a tool (carbonate, buckyd, the ringshift cluster file) models other ring
// members than the relay tier that picks the cache. Its misplacement reports and moves follow the wrong
// ring. The fix writes the reference ring's members into the tool, in the tool's syntax and the
// reference's order.
import type { HeldRing } from '../model.js';
import { list, quantify, quantityText } from '../ring-compare.js';
import { holderName, memberDelta, membersIn, membersOfPair, refWhat, toolModelsWrongTier, toolSyntax } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { memberListEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'ring-members-mismatch',
    ref: 'R1',
    severity: 'error',
    summary: 'A tool or cluster file models different ring members than the relay tier that picks the cache',
    fixable: 'edit',
    messages: {
      differs: "{{tool}}'s ring differs from {{ref}}: {{quantity}}; {{delta}}{{consequence}}",
      consequence: '. Its misplacement reports and moves follow the wrong ring',
      fix: '{{prefix}}{{members}} (the members of {{ref}}, in its order){{hint}}',
      fnvHint: ' (carbon-c-relay hashes a member without =instance as host:port, so that is the instance carbon must write)',
      fixNode: "set -node to this host's HOST string exactly as the ring members write it (bucky servers compares strings)",
    },
  },
  async check(ctx, topo) {
    for (const [tool, ref] of topo.toolRefs) {
      const cmp = membersOfPair(ref, tool);
      if (cmp.sameSet || toolModelsWrongTier(topo, tool)) continue;
      const q = await quantify(ref.spec, tool.spec);
      const items = ref.spec.destinations.map((x) => toolSyntax(x, ref, tool));
      rule.report(ctx, {
        file: tool.members.file,
        line: tool.members.line,
        message: rule.msg('differs', {
          tool: holderName(tool),
          ref: refWhat(ctx, topo, ref),
          quantity: quantityText(q),
          delta: memberDelta(ctx, ref, cmp.onlyA, tool, cmp.onlyB),
          consequence:
            tool.holder === 'carbonate' || tool.holder === 'buckyd' || tool.holder === 'ringshift' ? rule.msg('consequence') : '',
        }),
        fix: rule.msg('fix', {
          prefix: toolFixPrefix(tool),
          members: list(items, Infinity),
          ref: membersIn(ctx, ref),
          hint: fnvHint(ref, tool),
        }),
        edits: [memberListEdit(ctx, tool, items)],
        related: [ref.members],
      });
    }
  },
  diagnostics: [{ source: 'buckyd', code: 'bucky-node-not-member', severity: 'warning', fix: (): string => rule.msg('fixNode') }],
});

function toolFixPrefix(tool: HeldRing): string {
  if (tool.holder === 'carbonate') return 'set DESTINATIONS = ';
  if (tool.holder === 'ringshift') return 'set ring.destinations to ';
  if (tool.holder === 'buckyd') return 'start buckyd with the members ';
  return `set ${tool.membersName} to `;
}

function fnvHint(ref: HeldRing, tool: HeldRing): string {
  if (ref.spec.hash !== 'fnv1a_ch' || ref.spec.impl !== 'carbon-c-relay' || tool.spec.impl !== 'carbon') return '';
  return rule.msg('fnvHint');
}
