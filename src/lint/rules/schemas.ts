// storage-schemas.conf and storage-aggregation.conf (configs.md §9 R19) are the same on every storage host:
// a file moved to a host with other schemas keeps its old retention, and whisper-merge needs identical archives.
import { splitLines } from '../../config/ini.js';
import type { LintContext } from '../context.js';
import type { LintFile } from '../model.js';
import type { Topology } from '../topology.js';

export function checkSchemas(ctx: LintContext, topo: Topology): void {
  for (const kind of ['storage-schemas', 'storage-aggregation'] as const) {
    const byHost = new Map<string, LintFile>();
    for (const f of ctx.files.filter((x) => x.kind === kind)) {
      const host = topo.fileHosts.get(f.path)?.host;
      if (host === undefined || byHost.has(host)) continue;
      byHost.set(host, f);
    }
    const entries = [...byHost].sort(([a], [b]) => a.localeCompare(b));
    if (entries.length < 2) continue;
    const [refHost, ref] = entries[0]!;
    const refLines = significant(ref.text);
    for (const [host, f] of entries.slice(1)) {
      const mine = significant(f.text);
      const i = firstDifference(refLines, mine);
      if (i < 0) continue;
      const a = mine[i];
      const b = refLines[i];
      ctx.findings.add('storage-schemas-differ', {
        file: f.path,
        line: a?.line ?? null,
        message:
          `${kind}.conf on ${host} differs from the one on ${refHost} (${ctx.display(ref.path)}): ` +
          `${a === undefined ? 'it ends' : JSON.stringify(a.text)} where ${refHost} has ${b === undefined ? 'nothing more' : JSON.stringify(b.text)}; ` +
          'a metric moved between these hosts keeps the retention it was created with, and whisper-merge refuses files with different archives',
        fix: `deploy one ${kind}.conf to every storage host`,
        related: [{ file: ref.path, line: b?.line ?? null }],
      });
    }
  }
}

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
