// replica-diversity-mismatch (R7): with replication ≥ 2 the relay places replicas as the readers expect:
// carbon by DIVERSE_REPLICAS, graphite-web always on distinct hosts, carbon-c-relay and buckytools on
// distinct servers (host:port). Fixes set the readers' (or the relay's) policy where one setting decides.
import { fileLines } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import type { HeldRing } from '../model.js';
import { list, pct, quantify } from '../ring-compare.js';
import { diverseOf, holderName, relayPairs } from '../ring-pairs.js';
import { defineRule } from '../rule-definition.js';
import { iniSetOrInsert, settingEdit } from '../setting-edits.js';
import { mappedServer } from '../topology-model.js';
import type { LintContext } from '../context.js';

export const rule = defineRule({
  meta: {
    id: 'replica-diversity-mismatch',
    ref: 'R7',
    severity: 'warning',
    summary: 'With replication ≥ 2 the relay places replicas differently than the readers expect',
    fixable: 'edit',
    messages: {
      relays:
        'DIVERSE_REPLICAS is {{mine}} here but {{theirs}} in {{refFile}}: with replication {{n}} the replicas land on different nodes',
      fixSet: 'set DIVERSE_REPLICAS = {{value}}',
      tool: '{{holder}} places replicas {{mine}}{{quirk}}, but {{refHolder}} ({{refFile}}) places them {{theirs}}',
      quirk: ' (carbonate reads DIVERSE_REPLICAS = {{text}} with bool() of the string, which is True)',
      fixRemove: 'remove DIVERSE_REPLICAS (carbonate defaults to diverse)',
      fixEmpty:
        'carbonate cannot model DIVERSE_REPLICAS = False (any non-empty value is True); set DIVERSE_REPLICAS = (empty) to get False',
      fixRing: 'set ring.diverse: {{value}}',
      crelay:
        '{{holder}} with replication {{n}} picks distinct servers (host:port), never distinct hosts: {{hosts}} {{run}} several members, so both copies of a metric can land on one machine{{webapps}}',
      crelayWebapps: ', and graphite-web (always host-diverse) then looks for the second copy elsewhere',
      fixCrelay:
        'give each host one member of this cluster (one relay per host in front of its instances), or accept single-machine replicas',
      carbon:
        'DIVERSE_REPLICAS = False places replicas on distinct nodes, but graphite-web always picks distinct hosts{{share}} (webapps: {{webapps}})',
      carbonShare: ': the owner sets differ for {{share}} of the keyspace',
      fixCarbon: 'set DIVERSE_REPLICAS = True (and move the replicas it changes)',
    },
  },
  async check(ctx, topo) {
    const where = (h: HeldRing) => h.diverse ?? h.replication;
    for (const [ref, o] of relayPairs(topo)) {
      if (ref.spec.replication !== o.spec.replication || ref.spec.replication < 2 || ref.spec.diverse === o.spec.diverse) continue;
      if (ref.spec.impl !== 'carbon' || o.spec.impl !== 'carbon') continue;
      rule.report(ctx, {
        ...where(o),
        message: rule.msg('relays', {
          mine: o.spec.diverse ? 'True' : 'False',
          theirs: ref.spec.diverse ? 'True' : 'False',
          refFile: ctx.display(ref.file),
          n: ref.spec.replication,
        }),
        fix: rule.msg('fixSet', { value: ref.spec.diverse ? 'True' : 'False' }),
        edits: [settingEdit(ctx, o, 'diverse', ref.spec.diverse)],
        related: [where(ref)],
      });
    }
    for (const [tool, ref] of topo.toolRefs) {
      const want = diverseOf(ref);
      if (ref.spec.replication !== tool.spec.replication || ref.spec.replication < 2) continue;
      if ((tool.holder !== 'carbonate' && tool.holder !== 'ringshift') || want === undefined || want === tool.spec.diverse) continue;
      const quirk = tool.diverseText !== undefined && /^(false|0|no|off)$/i.test(tool.diverseText);
      const place = (d: boolean | undefined) => (d ? 'on distinct hosts' : 'on distinct nodes');
      rule.report(ctx, {
        ...where(tool),
        message: rule.msg('tool', {
          holder: holderName(tool),
          mine: place(tool.spec.diverse),
          quirk: quirk ? rule.msg('quirk', { text: tool.diverseText! }) : '',
          refHolder: holderName(ref),
          refFile: ctx.display(ref.file),
          theirs: place(want),
        }),
        fix:
          tool.holder === 'carbonate'
            ? want
              ? rule.msg('fixRemove')
              : rule.msg('fixEmpty')
            : rule.msg('fixRing', { value: want ? 'true' : 'false' }),
        edits:
          tool.holder === 'carbonate'
            ? [want ? removeCarbonateDiverse(ctx, tool) : iniSetOrInsert(ctx, tool.file, tool.section ?? 'main', 'DIVERSE_REPLICAS', '')]
            : [settingEdit(ctx, tool, 'diverse', want)],
        related: [where(ref)],
      });
    }
    const refs = [...topo.tier1, ...[...topo.tier2.values()].flat()];
    for (const ref of refs) {
      if (ref.spec.replication < 2) continue;
      const mirrored = [...topo.mirrors].filter(([, m]) => m.ring === ref).map(([w]) => w);
      if (ref.spec.impl === 'carbon-c-relay' || ref.spec.impl === 'bucky') {
        const perHost = new Map<string, number>();
        for (const x of ref.spec.destinations)
          perHost.set(mappedServer(x.server, ref.host), (perHost.get(mappedServer(x.server, ref.host)) ?? 0) + 1);
        const multi = [...perHost].filter(([, n]) => n > 1).map(([h]) => h);
        if (multi.length === 0) continue;
        rule.report(ctx, {
          file: ref.replication.file,
          line: ref.replication.line,
          message: rule.msg('crelay', {
            holder: holderName(ref),
            n: ref.spec.replication,
            hosts: list(multi),
            run: multi.length === 1 ? 'runs' : 'run',
            webapps: mirrored.length > 0 ? rule.msg('crelayWebapps') : '',
          }),
          fix: rule.msg('fixCrelay'),
          related: mirrored.map((w) => w.ring!.members),
        });
      } else if (ref.spec.impl === 'carbon' && !ref.spec.diverse && mirrored.length > 0) {
        const q = await quantify({ ...ref.spec, impl: 'graphite-web', diverse: true }, ref.spec);
        rule.report(ctx, {
          ...where(ref),
          message: rule.msg('carbon', {
            share: q !== undefined && q.owners > 0 ? rule.msg('carbonShare', { share: pct(q.owners) }) : '',
            webapps: list(mirrored.map((w) => ctx.display(w.file))),
          }),
          fix: rule.msg('fixCarbon'),
          edits: [settingEdit(ctx, ref, 'diverse', true)],
          related: mirrored.map((w) => w.ring!.members),
        });
      }
    }
  },
});

/** carbonate.conf without its DIVERSE_REPLICAS line (carbonate's default is diverse). */
function removeCarbonateDiverse(ctx: LintContext, tool: HeldRing): FixEdit | undefined {
  const line = tool.diverse?.line ?? null;
  const text = line === null ? undefined : fileLines(ctx, tool.file)?.[line - 1];
  if (text === undefined || !/^\s*DIVERSE_REPLICAS\s*[=:]/i.test(text)) return undefined;
  return { file: tool.file, line: line!, old: `${text}\n`, new: '' };
}
