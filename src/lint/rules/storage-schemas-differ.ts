// storage-schemas-differ (R19): storage-schemas.conf and storage-aggregation.conf are the same on every
// storage host: a file moved to a host with other schemas keeps its old retention, and whisper-merge needs
// identical archives. The reference is the version most hosts have (on a tie, the first host by name); the
// fix copies it over each file that differs.
import { splitLines } from '../../config/ini.js';
import { replaceFile } from '../fix-edits.js';
import type { LintFile } from '../model.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'storage-schemas-differ',
    ref: 'R19',
    severity: 'warning',
    summary: 'storage-schemas.conf or storage-aggregation.conf differs between storage hosts',
    fixable: 'edit',
    messages: {
      differ:
        '{{kind}}.conf on {{host}} differs from the one on {{refHost}} ({{refFile}}): {{mine}} where {{refHost}} has {{theirs}}; a metric moved between these hosts keeps the retention it was created with, and whisper-merge refuses files with different archives',
      ends: 'it ends',
      nothing: 'nothing more',
      fix: 'deploy one {{kind}}.conf to every storage host',
    },
  },
  check(ctx, topo) {
    for (const kind of ['storage-schemas', 'storage-aggregation'] as const) {
      const byHost = new Map<string, LintFile>();
      for (const f of ctx.files.filter((x) => x.kind === kind)) {
        const host = topo.fileHosts.get(f.path)?.host;
        if (host === undefined || byHost.has(host)) continue;
        byHost.set(host, f);
      }
      const entries = [...byHost].sort(([a], [b]) => a.localeCompare(b));
      if (entries.length < 2) continue;
      const sig = entries.map(([, f]) =>
        significant(f.text)
          .map((l) => l.text)
          .join('\n'),
      );
      const votes = sig.map((s) => sig.filter((x) => x === s).length);
      const [refHost, ref] = entries[votes.indexOf(Math.max(...votes))]!;
      const refLines = significant(ref.text);
      for (const [host, f] of entries) {
        if (f === ref) continue;
        const mine = significant(f.text);
        const i = firstDifference(refLines, mine);
        if (i < 0) continue;
        const a = mine[i];
        const b = refLines[i];
        rule.report(ctx, {
          file: f.path,
          line: a?.line ?? null,
          message: rule.msg('differ', {
            kind,
            host,
            refHost,
            refFile: ctx.display(ref.path),
            mine: a === undefined ? rule.msg('ends') : JSON.stringify(a.text),
            theirs: b === undefined ? rule.msg('nothing') : JSON.stringify(b.text),
          }),
          fix: rule.msg('fix', { kind }),
          edits: [replaceFile(ctx, f.path, ref.text)],
          related: [{ file: ref.path, line: b?.line ?? null }],
        });
      }
    }
  },
});

/** Lines that matter: no comments or blank lines, whitespace around `=` and at the ends ignored. */
function significant(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  splitLines(text).forEach((l, i) => {
    const t = l.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    out.push({ line: i + 1, text: t.replace(/\s*=\s*/, ' = ').replace(/\s+/g, ' ') });
  });
  return out;
}

function firstDifference(a: { text: string }[], b: { text: string }[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i]?.text !== b[i]?.text) return i;
  return -1;
}
