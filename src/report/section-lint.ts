// "Lint": the config findings grouped by rule, each with where it is, the fix (in words and as edits)
// and an excerpt of the file around the line. Counts are `lint --json`'s.
import { count, dataTable } from './data-table.js';
import { countText, esc } from './html-text.js';
import type { LintFindingJson, LintInput } from './report-input.js';
import { keyFigures, section } from './section-frame.js';

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function lintSection(l: LintInput): string {
  const s = l.summary;
  const byRule = new Map<string, LintFindingJson[]>();
  for (const f of l.findings) {
    const list = byRule.get(f.rule) ?? [];
    list.push(f);
    byRule.set(f.rule, list);
  }
  const rules = [...byRule.entries()].sort(
    (a, b) => SEVERITY_ORDER[worst(a[1])] - SEVERITY_ORDER[worst(b[1])] || b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1),
  );
  const parts: string[] = [
    keyFigures([
      { label: 'errors', value: esc(countText(s.errors)) },
      { label: 'warnings', value: esc(countText(s.warnings)) },
      { label: 'info', value: esc(countText(s.infos)) },
      { label: 'files read', value: esc(countText(s.files)) },
    ]),
  ];
  if (rules.length === 0) parts.push('<p>No findings.</p>');
  else
    parts.push(
      dataTable({
        id: 'lint-rules',
        caption: 'findings per rule',
        head: ['rule', 'ref', 'severity', 'findings'],
        rows: rules.map(([rule, fs]) => [ruleLink(rule, l.docsBase), fs[0]!.ref, worst(fs), count(fs.length)]),
        filter: false,
      }),
    );
  for (const [rule, fs] of rules) {
    parts.push(
      `<div class="lint-rule" data-rule="${esc(rule)}"><h3><span class="sev ${worst(fs)}">${worst(fs)}</span> ${esc(fs[0]!.ref)} ${esc(rule)} <small>${fs.length} ${fs.length === 1 ? 'finding' : 'findings'}</small></h3>` +
        fs.map((f) => findingHtml(f, l)).join('') +
        '</div>',
    );
  }
  return section(
    'lint',
    'Lint',
    esc('Do the relays, the webapps and the tools agree about where metrics live? (ringshift lint)'),
    parts.join(''),
  );
}

function worst(fs: readonly LintFindingJson[]): LintFindingJson['severity'] {
  return fs.reduce<LintFindingJson['severity']>((w, f) => (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[w] ? f.severity : w), 'info');
}

function ruleLink(rule: string, base: string | undefined): { text: string; html: string } {
  return { text: rule, html: base === undefined ? esc(rule) : `<a href="${esc(`${base}/${rule}.md`)}">${esc(rule)}</a>` };
}

function where(file: string, line: number | null): string {
  return line === null ? file : `${file}:${line}`;
}

function findingHtml(f: LintFindingJson, l: LintInput): string {
  const ex = f.line === null ? undefined : l.excerpts[`${f.file}:${f.line}`];
  const excerpt =
    ex === undefined
      ? ''
      : `<pre class="excerpt">${ex.lines
          .map((t, i) => {
            const n = ex.first + i;
            return `<span class="${n === f.line ? 'hit' : ''}"><span class="ln">${n}</span>${esc(t)}</span>`;
          })
          .join('\n')}</pre>`;
  const related = (f.related ?? []).map((r) => `<div class="see">see <code>${esc(where(r.file, r.line))}</code></div>`).join('');
  const edits = (f.edits ?? [])
    .map(
      (e) =>
        `<div class="edit"><code>${esc(where(e.file, e.line))}</code><pre><del>${esc(e.old)}</del>\n<ins>${esc(e.new)}</ins></pre></div>`,
    )
    .join('');
  return (
    `<div class="finding ${f.severity}"><p><code>${esc(where(f.file, f.line))}</code> <span class="sev ${f.severity}">${f.severity}</span> ${esc(f.message)}</p>` +
    related +
    excerpt +
    (f.fix === undefined ? '' : `<p class="fix">fix: ${esc(f.fix)}</p>`) +
    edits +
    '</div>'
  );
}
