// amqp-bindings-overlap (R11): in carbon's AMQP mode the broker delivers a metric once to every cache
// whose queue has a matching binding, so two caches with overlapping BIND_PATTERNS both store it (twice
// the disk, and graphite-web reads whichever answers). Decided without names: two topic patterns overlap
// iff some routing key matches both (topicOverlap, exact), and the finding names such a key. Which cache
// should give the metrics up is the operator's call, so the fix is advice.
import { topicOverlap } from '../../ring/amqp-topic.js';
import { memberId } from '../../ring/types.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'amqp-bindings-overlap',
    ref: 'R11',
    severity: 'warning',
    summary: 'Two caches bind AMQP topic patterns that can match one metric (it is stored on both)',
    fixable: 'advice',
    messages: {
      overlap:
        "{{member}} binds '{{pattern}}' and {{other}} binds '{{otherPattern}}': a metric such as '{{key}}' matches both, so the exchange delivers it to both caches and each stores its own copy",
      fix: "narrow one of the two patterns so that no routing key matches both (e.g. a distinct first word instead of '#' or '*')",
    },
  },
  check(ctx) {
    for (const ring of ctx.rings) {
      const routing = ring.spec.routing;
      if (routing?.kind !== 'amqp-topic') continue;
      // each pattern keeps the file it was written in (a cache's carbon.conf, or the cluster file)
      const byMember = new Map<string, { text: string; line?: number; file: string }[]>();
      for (const b of routing.bindings) {
        const id = memberId(b.member);
        const file = b.file ?? routing.file;
        byMember.set(id, [...(byMember.get(id) ?? []), ...b.patterns.map((p) => ({ ...p, file }))]);
      }
      const members = [...byMember];
      for (let x = 0; x < members.length; x++) {
        for (let y = x + 1; y < members.length; y++) {
          const [other, theirs] = members[x]!;
          const [member, mine] = members[y]!;
          for (const p of mine) {
            for (const o of theirs) {
              const key = topicOverlap(p.text, o.text);
              if (key === undefined) continue;
              rule.report(ctx, {
                file: p.file,
                line: p.line ?? null,
                message: rule.msg('overlap', { member, pattern: p.text, other, otherPattern: o.text, key }),
                fix: rule.msg('fix'),
                related: [{ file: o.file, line: o.line ?? null }],
              });
            }
          }
        }
      }
    }
  },
});
