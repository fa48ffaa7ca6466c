// relay-rings-differ (R17): relays of one tier (entry relays behind a load balancer) hold different rings,
// so one metric lands on different nodes depending on the relay it went through. Which ring is right: the
// one most relays of the group hold; between two, the one that has every member of the other (a node was
// added and one relay was not updated). The finding is on each relay that must change, and its fix writes
// the right member list there.
import type { HeldRing } from '../model.js';
import { list, nodeKey, nodeLabel, quantify, quantityText } from '../ring-compare.js';
import { memberDelta, memberSyntax, membersOfPair, relayGroups, ringLabel } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { memberListEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'relay-rings-differ',
    ref: 'R17',
    severity: 'error',
    summary: 'Relays at the same tier hold different rings',
    fixable: 'edit',
    messages: {
      differ:
        '{{relay}} and {{other}} route to different rings: {{quantity}}; {{delta}}. A metric sent through one relay lands on another node than the same metric sent through the other',
      fix: 'give every relay of this tier the same {{name}}: {{members}} (in this order)',
    },
  },
  async check(ctx, topo) {
    for (const group of relayGroups(topo)) {
      const target = rightRing(group);
      for (const o of group) {
        if (o === target) continue;
        const cmp = membersOfPair(target, o);
        if (cmp.sameSet) continue;
        const q = await quantify(target.spec, o.spec);
        rule.report(ctx, {
          file: o.members.file,
          line: o.members.line,
          message: rule.msg('differ', {
            relay: ringLabel(ctx, o),
            other: ringLabel(ctx, target),
            quantity: quantityText(q),
            delta: memberDelta(ctx, target, cmp.onlyA, o, cmp.onlyB),
          }),
          fix: rule.msg('fix', {
            name: o.membersName,
            members: list(
              target.spec.destinations.map((x) => nodeLabel(x, target.spec)),
              Infinity,
            ),
          }),
          edits: [
            memberListEdit(
              ctx,
              o,
              target.spec.destinations.map((x) => memberSyntax(x, o)),
            ),
          ],
          related: [target.members],
        });
      }
    }
  },
});

/** The ring most relays hold; on a tie the one whose members include all the others'; else the first. */
function rightRing(group: readonly HeldRing[]): HeldRing {
  const keys = group.map((r) => new Set(r.spec.destinations.map((x) => nodeKey(x, r.spec))));
  const sig = keys.map((k) => [...k].sort().join('\u0001'));
  const votes = sig.map((s) => sig.filter((x) => x === s).length);
  const best = Math.max(...votes);
  const tied = group.map((_, i) => i).filter((i) => votes[i] === best);
  const superset = tied.find((i) => keys.every((k) => [...k].every((x) => keys[i]!.has(x))));
  return group[superset ?? tied[0]!]!;
}
