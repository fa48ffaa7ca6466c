// fnv1a-instances (R3): carbon's fnv1a_ch hashes only the instance of a member (c-relay: the instance, or
// host:port without one), so members without an instance or sharing one collide point for point and one
// of them takes nearly the whole keyspace. The new instance names must also be written into every webapp
// and tool, so the fix stays in words.
import type { Destination, HeldRing } from '../model.js';
import { list, pct, ringOf } from '../ring-compare.js';
import { holderName } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'fnv1a-instances',
    ref: 'R3',
    severity: 'error',
    summary: 'An fnv1a_ch ring has members without an instance or with a shared instance',
    fixable: 'advice',
    messages: {
      degenerate:
        '{{holder}} fnv1a_ch hashes {{what}} of each member, never the server: {{parts}}. Nodes with the same key collide point for point and the first one takes them{{share}}',
      missing: '{{n}} {{members}} no instance ({{list}}), so {{their}} "i-None"',
      shared: 'instance {{instance}} is shared by {{list}}',
      share: ' (the busiest member owns {{top}} of the keyspace; {{n}} members would own {{each}} each)',
      fixCarbon:
        'give every member a unique instance; to agree with carbon-c-relay members written without =instance, use host:port as the instance (10.0.0.5:2004:10.0.0.5:2003)',
      fixCrelay: 'give every member a unique =instance (long random strings balance best)',
    },
  },
  check(ctx) {
    for (const r of ctx.rings) {
      if (r.spec.hash !== 'fnv1a_ch' || memberCount(r) < 2) continue;
      const carbonSide = r.spec.impl === 'carbon' || r.spec.impl === 'graphite-web';
      const members = r.spec.destinations;
      const missing = carbonSide ? members.filter((m) => m.instance === null || m.instance === '') : [];
      const byKey = new Map<string, Destination[]>();
      for (const m of members) {
        const k = carbonSide ? (m.instance ?? 'None') : (m.instance ?? `${m.server}:${m.port}`);
        if (!byKey.has(k)) byKey.set(k, []);
        byKey.get(k)!.push(m);
      }
      const shared = [...byKey.entries()].filter(
        ([k, ms]) => !(carbonSide && k === 'None') && new Set(ms.map((m) => `${m.server}:${m.port}`)).size > 1,
      );
      if (missing.length === 0 && shared.length === 0) continue;
      const parts: string[] = [];
      if (missing.length > 0) {
        parts.push(
          rule.msg('missing', {
            n: missing.length,
            members: missing.length === 1 ? 'member has' : 'members have',
            list: list(missing.map((m) => `${m.server}:${m.port}`)),
            their: missing.length === 1 ? 'its points hash' : 'their points all hash',
          }),
        );
      }
      for (const [k, ms] of shared)
        parts.push(rule.msg('shared', { instance: JSON.stringify(k), list: list(ms.map((m) => `${m.server}:${m.port}`)) }));
      rule.report(ctx, {
        file: r.members.file,
        line: missing[0]?.line ?? shared[0]?.[1][1]?.line ?? r.members.line,
        message: rule.msg('degenerate', {
          holder: holderName(r),
          what: carbonSide ? 'only the instance' : 'the instance (or host:port)',
          parts: parts.join('; '),
          share: fnvShare(r),
        }),
        fix: carbonSide ? rule.msg('fixCarbon') : rule.msg('fixCrelay'),
        related: [r.members],
      });
    }
  },
});

/** " (the busiest member owns N % of the keyspace)", when the ring can be built. */
function fnvShare(r: HeldRing): string {
  const ring = ringOf(r.spec);
  const ps = ring?.positionSpace;
  if (ring === null || ring === undefined || ps === undefined) return '';
  const counts = new Map<string, number>();
  for (let p = 0; p < ps.size; p++) {
    const o = ps.ownersAt(p)[0];
    if (o === undefined) continue;
    const k = `${o.server}:${o.port}:${o.instance}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = Math.max(0, ...counts.values());
  return rule.msg('share', { top: pct(top / ps.size), n: memberCount(r), each: pct(1 / memberCount(r)) });
}

function memberCount(r: HeldRing): number {
  return new Set(r.spec.destinations.map((m) => `${m.server}:${m.port}:${m.instance}`)).size;
}
