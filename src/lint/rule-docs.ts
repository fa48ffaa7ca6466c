// The parts of the rule documentation that are generated: each page's header line (catalogue number,
// severity, whether the fix is an edit, summary) from the rule's meta, its example report from the
// fixture, and the index tables of docs/rules/README.md. The prose stays hand-written; lint-docs.test.ts
// checks that regenerating changes nothing (`npm run docs:rules` rewrites the pages).
import type { RuleMeta } from './rule-meta.js';

const FIX_WORDS: Record<RuleMeta['fixable'], string> = { edit: 'fix: **edit**', advice: 'fix: advice' };

export function ruleHeaderLine(meta: RuleMeta): string {
  const ref = meta.ref === '-' ? '**not in the catalogue**' : `**${meta.ref}**`;
  return `${ref} · default severity **${meta.severity}** · ${FIX_WORDS[meta.fixable]} · ${meta.summary}`;
}

const EXAMPLE_INTRO = '`ringshift lint bad` reports (run from `test/fixtures/lint`):';

/** The page with its generated parts replaced: the header line, and the example report (`report`, text format). */
export function rewriteRulePage(page: string, meta: RuleMeta, report: string): string {
  const lines = page.split('\n');
  if (lines[0] !== `# ${meta.id}`) throw new Error(`docs/rules/${meta.id}.md: the first line must be "# ${meta.id}"`);
  lines[2] = ruleHeaderLine(meta);
  let out = lines.join('\n');
  const at = out.indexOf(EXAMPLE_INTRO);
  if (at < 0) throw new Error(`docs/rules/${meta.id}.md: no example section ("${EXAMPLE_INTRO}")`);
  const open = out.indexOf('```text\n', at);
  // From the newline that ends the opening line, so an empty block's own closing fence is found.
  const close = out.indexOf('\n```', open + 7);
  if (open < 0 || close < 0) throw new Error(`docs/rules/${meta.id}.md: the example report is not a \`\`\`text block`);
  out = out.slice(0, open + 8) + report.replace(/\n+$/, '') + out.slice(close);
  return out;
}

/** docs/rules/README.md with the table of each `## Rn — …` (and "Not in the catalogue") section generated. */
export function rewriteRuleIndex(index: string, metas: readonly RuleMeta[]): string {
  const lines = index.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const m = /^## (R\d+) — /.exec(line);
    const ref = m !== null ? m[1] : line === '## Not in the catalogue' ? '-' : undefined;
    if (ref === undefined) continue;
    // Skip the old table (and the blank line before it), write the new one.
    let j = i + 1;
    while (j < lines.length && (lines[j] === '' || lines[j]!.startsWith('|'))) j++;
    out.push('', '| rule | severity | fix | checks |', '|---|---|---|---|');
    for (const r of metas.filter((x) => x.ref === ref)) out.push(`| [${r.id}](${r.id}.md) | ${r.severity} | ${r.fixable} | ${r.summary} |`);
    out.push('');
    i = j - 1;
  }
  return out.join('\n');
}
