// collision-semantics (R5): a carbon_ch or fnv1a_ch ring shared by implementations that resolve ring
// position collisions differently — carbon-relay, graphite-web and carbonate bump a colliding position to
// the next free one, carbon-c-relay, carbon-relay-ng and buckytools keep the first-sorted member. Both
// hashes are measured the same way: the ring built both ways and compared with the exact ring diff
// (src/ring/analysis), position by position. From COLLISION_WARN_SHARE of the keyspace up it is a warning,
// below an info (docs/rules/collision-semantics.md). Renaming instances must be done in every file at
// once, so the fix stays in words.
import { diffRings } from '../../ring/analysis/diff.js';
import type { RingSpec } from '../../ring/types.js';
import type { HeldRing } from '../model.js';
import { compareMembers, hashedIdentity, list, pct, ringOf } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';

/** The share of the keyspace from which a collision difference is a warning (0.01 %: 7 of 65,536 positions). */
export const COLLISION_WARN_SHARE = 0.0001;

const BUMP: ReadonlySet<string> = new Set(['carbon', 'graphite-web']);

export const rule = defineRule({
  meta: {
    id: 'collision-semantics',
    ref: 'R5',
    severity: 'warning',
    summary: 'A carbon_ch or fnv1a_ch ring is shared by implementations that resolve position collisions differently',
    fixable: 'advice',
    messages: {
      differ:
        'this {{hash}} ring is modelled by {{bump}}, which bump a colliding ring position to the next free one, and by {{plain}}, which keep the first-sorted member: {{count}} of {{size}} key positions ({{share}}) get another primary owner, in {{ranges}} {{rangeWord}} ({{shown}}){{caveat}}',
      caveat: '; exact for ASCII metric names (carbon-c-relay hashes other bytes as signed chars)',
      fix: 'route and read with one family (carbon-relay + graphite-web + carbonate, or carbon-c-relay + buckytools), or rename an instance so no two members share a ring position',
    },
  },
  async check(ctx, topo) {
    const refs = [...topo.tier1, ...[...topo.tier2.values()].flat()];
    const sameRing = (a: HeldRing, b: HeldRing) => compareMembers(a.spec.destinations, a.spec, b.spec.destinations, b.spec).sameSet;
    for (const ref of refs) {
      if (ref.spec.hash !== 'carbon_ch' && ref.spec.hash !== 'fnv1a_ch') continue;
      const holders: HeldRing[] = [ref];
      for (const [w, m] of topo.mirrors) if (m.ring === ref && w.ring!.spec.hash === ref.spec.hash) holders.push(w.ring!);
      for (const [t, r] of topo.toolRefs) if (r === ref && t.spec.hash === ref.spec.hash && sameRing(ref, t)) holders.push(t);
      for (const o of refs) if (o !== ref && o.spec.hash === ref.spec.hash && sameRing(ref, o)) holders.push(o);
      const bump = holders.filter((h) => BUMP.has(h.spec.impl));
      const plain = holders.filter((h) => !BUMP.has(h.spec.impl));
      if (bump.length === 0 || plain.length === 0) continue;
      // One member list (as each side hashes it: c-relay's instance-less fnv1a members as host:port), built both ways.
      const destinations = ref.spec.destinations.map((d) => hashedIdentity(d, ref.spec));
      const base: RingSpec = { ...ref.spec, destinations, replication: 1 };
      const a = ringOf({ ...base, impl: 'carbon', diverse: true });
      const b = ringOf({ ...base, impl: plain[0]!.spec.impl, diverse: false });
      const pa = a?.positionSpace;
      const pb = b?.positionSpace;
      if (a === null || b === null || pa === undefined || pb === undefined) continue;
      const diff = await diffRings(a, b, { match: 'node' });
      if (!diff.exact || diff.keyspace.primaryChanged === 0) continue;
      const ranges: [number, number][] = [];
      let count = 0;
      for (let p = 0; p < pa.size; p++) {
        const x = pa.ownersAt(p)[0];
        const y = pb.ownersAt(p)[0];
        if (x === undefined || y === undefined || (x.server === y.server && x.instance === y.instance)) continue;
        count++;
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last[1] === p - 1) last[1] = p;
        else ranges.push([p, p]);
      }
      const share = diff.keyspace.primaryChanged;
      const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
      const shown = ranges.slice(0, 4).map(([s, e]) => (s === e ? hex(s) : `${hex(s)}–${hex(e)}`));
      const who = (hs: HeldRing[]) => {
        const byHolder = new Map<string, string[]>();
        for (const h of hs) byHolder.set(h.holder, [...(byHolder.get(h.holder) ?? []), ctx.display(h.file)]);
        return [...byHolder].map(([holder, files]) => `${holder} (${list([...new Set(files)], 3)})`).join(' and ');
      };
      rule.report(ctx, {
        file: ref.members.file,
        line: ref.members.line,
        ...(share < COLLISION_WARN_SHARE ? { severity: 'info' as const } : {}),
        message: rule.msg('differ', {
          hash: ref.spec.hash,
          bump: who(bump),
          plain: who(plain),
          count,
          size: pa.size,
          share: pct(share),
          ranges: ranges.length,
          rangeWord: ranges.length === 1 ? 'range' : 'ranges',
          shown: `${shown.join(', ')}${ranges.length > 4 ? ', …' : ''}`,
          caveat: diff.caveat !== undefined ? rule.msg('caveat') : '',
        }),
        fix: rule.msg('fix'),
        related: holders.filter((h) => h !== ref).map((h) => h.members),
      });
    }
  },
});
