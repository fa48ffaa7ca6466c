// jump-hash-no-webapp (R2): graphite-web has no jump hash, so a webapp in front of a jump_fnv1a_ch cluster
// asks the wrong cache for most metrics. The fix is a choice of ring (words only).
import { membersIn } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'jump-hash-no-webapp',
    ref: 'R2',
    severity: 'warning',
    summary: 'A jump_fnv1a_ch relay feeds caches that graphite-web cannot mirror',
    fixable: 'advice',
    messages: {
      jump: '{{ring}} is a jump_fnv1a_ch cluster; graphite-web has no jump hash, so carbonlink asks the wrong cache for most metrics and recent points are missing from graphs',
      fix: 'use carbon_ch or fnv1a_ch for the cluster the webapps mirror, or give this webapp only one cache per host so any ring finds it',
    },
  },
  check(ctx, topo) {
    for (const [w, m] of topo.mirrors) {
      const web = w.ring!;
      if (m.ring.spec.hash !== 'jump_fnv1a_ch') continue;
      rule.report(ctx, {
        file: web.hash.file,
        line: web.hash.line ?? web.members.line,
        message: rule.msg('jump', { ring: membersIn(ctx, m.ring) }),
        fix: rule.msg('fix'),
        related: [m.ring.hash],
      });
    }
  },
});
