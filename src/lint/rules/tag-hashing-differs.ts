// tag-hashing-differs (R18): where tagged series are in use, the relay and the readers must hash them the
// same way: carbon-relay normalizes tags only with TAG_RELAY_NORMALIZED = True (the fix), carbon-c-relay
// hashes the name without tags while graphite-web hashes the whole tagged name (no setting fixes that).
import type { LintContext } from '../context.js';
import { fileLines } from '../fix-edits.js';
import type { Where } from '../model.js';
import { defineRule } from '../rule-definition.js';
import { iniKeyLine, iniSetOrInsert } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'tag-hashing-differs',
    ref: 'R18',
    severity: 'warning',
    summary: 'Tagged series are hashed differently by the relay and by the readers',
    fixable: 'edit',
    messages: {
      crelay:
        'carbon-c-relay hashes a tagged series by its name up to the first ";" (tags ignored), graphite-web\'s carbonlink hashes the whole tagged name: for tagged series (in use here: {{evidence}}) carbonlink asks the wrong cache, so their recent points are missing',
      fixCrelay: 'read tagged series from whisper only (accept the flush delay), or route tagged series with carbon-relay',
      carbon:
        'TAG_RELAY_NORMALIZED is False{{unset}}: the relay hashes tagged names as received, while carbon-cache stores them normalized (tags sorted); a series sent with unsorted tags is hashed as one name and stored as another (tags in use: {{evidence}})',
      fixCarbon: 'set TAG_RELAY_NORMALIZED = True in [{{section}}] (and move the series it re-routes)',
    },
  },
  check(ctx, topo) {
    const evidence = tagEvidence(ctx);
    if (evidence === undefined) return;
    const at = `${ctx.display(evidence.file)}${evidence.line !== null ? `:${evidence.line}` : ''}`;
    const writersWithMirrors = new Set([...topo.mirrors.values()].map((m) => m.ring));
    for (const r of ctx.rings.filter((x) => x.role === 'relay')) {
      if (r.holder === 'carbon-c-relay' && writersWithMirrors.has(r)) {
        rule.report(ctx, { ...r.members, message: rule.msg('crelay', { evidence: at }), fix: rule.msg('fixCrelay'), related: [evidence] });
      }
      if ((r.holder === 'carbon-relay' || r.holder === 'carbon-aggregator') && !r.spec.tagRelayNormalized) {
        const section = r.section ?? 'relay';
        const line = iniKeyLine(ctx, r.file, section, 'TAG_RELAY_NORMALIZED');
        const unset = line === null || !/TAG_RELAY_NORMALIZED/i.test(fileLines(ctx, r.file)?.[line - 1] ?? '');
        rule.report(ctx, {
          file: r.file,
          line: line ?? r.members.line,
          message: rule.msg('carbon', { evidence: at, unset: unset ? ` (the default, in [${section}])` : '' }),
          fix: rule.msg('fixCarbon', { section }),
          edits: [iniSetOrInsert(ctx, r.file, section, 'TAG_RELAY_NORMALIZED', 'True')],
          related: [evidence, r.members],
        });
      }
    }
  },
});

/** Evidence in the configs that tagged series are in use (whether they flow is runtime data). */
function tagEvidence(ctx: LintContext): Where | undefined {
  for (const w of ctx.webapps) if (w.tagdb !== undefined) return w.tagdb;
  for (const g of ctx.goCarbons) if (g.tagsEnabled?.value === true) return g.tagsEnabled.where;
  for (const { file, conf } of ctx.carbonConfs) {
    for (const s of conf.ini.sections) {
      for (const o of s.options.values()) {
        const k = o.rawKey.toUpperCase();
        if ((k === 'ENABLE_TAGS' && /^(true|1|yes|on)$/i.test(o.raw)) || k === 'TAG_RELAY_NORMALIZED' || k === 'TAG_HASH_FILENAMES')
          return { file, line: o.line };
      }
    }
  }
  return undefined;
}
