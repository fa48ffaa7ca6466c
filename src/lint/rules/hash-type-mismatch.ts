// hash-type-mismatch (R2): the relays of a tier, the webapps that mirror them and the tools that model
// them hash with one function. The fix sets the other side's hash setting to the reference's, in that
// program's syntax (a relay pair: the one compared with the first relay of its tier).
import { hashSettingName, holderName, relayPairs, toolHash } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { settingEdit } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'hash-type-mismatch',
    ref: 'R2',
    severity: 'error',
    summary: 'Relay, webapp and tools hash with different functions',
    fixable: 'edit',
    messages: {
      relays:
        '{{holder}} hashes with {{hash}} but {{refHolder}} ({{refFile}}) hashes with {{refHash}}: they place almost every metric differently',
      fixRelay: 'use {{hash}} here ({{setting}})',
      tool: '{{holder}} hashes with {{hash}} but {{refHolder}} ({{refFile}}) hashes with {{refHash}}{{consequence}}',
      toolNoJump: ': carbonate has no jump hash at all',
      toolDiffers: ': almost every metric is placed differently',
      fixTool: 'set {{setting}} to {{hash}}',
      fixNoJump: 'model this ring with buckytools (-hash jump_fnv1a) or ringshift (ring.hash: jump_fnv1a_ch)',
      webapp:
        'CARBONLINK_HASHING_TYPE is {{hash}}{{default}} but {{refHolder}} ({{refFile}}) hashes with {{refHash}}: carbonlink asks the wrong cache and recent points are missing from graphs',
      fixWebapp: 'set CARBONLINK_HASHING_TYPE = "{{hash}}"',
    },
  },
  check(ctx, topo) {
    for (const [ref, o] of relayPairs(topo)) {
      if (ref.spec.hash === o.spec.hash) continue;
      rule.report(ctx, {
        file: o.hash.file,
        line: o.hash.line,
        message: rule.msg('relays', {
          holder: holderName(o),
          hash: o.spec.hash,
          refHolder: holderName(ref),
          refFile: ctx.display(ref.file),
          refHash: ref.spec.hash,
        }),
        fix: rule.msg('fixRelay', { hash: ref.spec.hash, setting: hashSettingName(o) }),
        edits: [settingEdit(ctx, o, 'hash', ref.spec.hash)],
        related: [ref.hash],
      });
    }
    for (const [tool, ref] of topo.toolRefs) {
      if (ref.spec.hash === tool.spec.hash) continue;
      const noJump = ref.spec.hash === 'jump_fnv1a_ch' && tool.holder === 'carbonate';
      const value = toolHash(ref.spec.hash, tool.holder);
      rule.report(ctx, {
        file: tool.hash.file,
        line: tool.hash.line,
        message: rule.msg('tool', {
          holder: holderName(tool),
          hash: tool.spec.hash,
          refHolder: holderName(ref),
          refFile: ctx.display(ref.file),
          refHash: ref.spec.hash,
          consequence: noJump ? rule.msg('toolNoJump') : rule.msg('toolDiffers'),
        }),
        fix: noJump ? rule.msg('fixNoJump') : rule.msg('fixTool', { setting: hashSettingName(tool), hash: value }),
        edits: noJump ? [] : [settingEdit(ctx, tool, 'hash', value)],
        related: [ref.hash],
      });
    }
    for (const [w, m] of topo.mirrors) {
      const web = w.ring!;
      const ring = m.ring;
      if (ring.spec.hash === 'jump_fnv1a_ch' || ring.spec.hash === web.spec.hash) continue;
      rule.report(ctx, {
        file: web.hash.file,
        line: web.hash.line ?? web.members.line,
        message: rule.msg('webapp', {
          hash: web.spec.hash,
          default: web.hash.line === null ? ' (the default)' : '',
          refHolder: holderName(ring),
          refFile: ctx.display(ring.file),
          refHash: ring.spec.hash,
        }),
        fix: rule.msg('fixWebapp', { hash: ring.spec.hash }),
        edits: [settingEdit(ctx, web, 'hash', ring.spec.hash)],
        related: [ring.hash],
      });
    }
  },
});
