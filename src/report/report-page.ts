// The report page: one self-contained HTML file (inline CSS and SVG, a few lines of script for hover
// highlighting, table filters and opening details before printing; a Content-Security-Policy that
// forbids every fetch), assembled from the sections whose data was given. renderReport is pure: plain
// data in (report-input.ts), a string out.
import { esc } from './html-text.js';
import { ColourKeys } from './palette.js';
import type { ReportInput } from './report-input.js';
import { auditSection } from './section-audit.js';
import { lintSection } from './section-lint.js';
import { movesSection } from './section-moves.js';
import { planSection } from './section-plan.js';
import { progressSection } from './section-progress.js';
import { ringsSection } from './section-rings.js';

const SECTION_TITLES: [keyof ReportInput, string, string][] = [
  ['rings', 'rings', 'The rings'],
  ['moves', 'moves', 'What moves'],
  ['audit', 'audit', 'Where files stand'],
  ['plan', 'plan', 'The plan'],
  ['progress', 'progress', 'Progress'],
  ['lint', 'lint', 'Lint'],
];

export function renderReport(input: ReportInput): string {
  const colours = ColourKeys.fromJson(input.colours);
  const sections: string[] = [];
  if (input.rings) sections.push(ringsSection(input.rings, colours));
  if (input.moves) sections.push(movesSection(input.moves, colours));
  if (input.audit) sections.push(auditSection(input.audit, colours));
  if (input.plan) sections.push(planSection(input.plan, colours));
  if (input.progress) sections.push(progressSection(input.progress, colours));
  if (input.lint) sections.push(lintSection(input.lint));
  const nav = SECTION_TITLES.filter(([k]) => input[k] !== undefined)
    .map(([, id, title]) => `<a href="#${id}">${esc(title)}</a>`)
    .join('');
  const sources = input.sources.map((s) => `<div><dt>${esc(s.label)}</dt><dd><code>${esc(s.value)}</code></dd></div>`).join('');
  const notes = (input.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="ringshift">',
    `<title>${esc(input.title)}</title>`,
    `<style>${PAGE_STYLE}</style></head><body>`,
    `<header><h1>${esc(input.title)}</h1><p class="generated">${esc(input.generated)}</p><dl class="sources">${sources}</dl><nav>${nav}</nav></header>`,
    '<main>',
    ...sections,
    notes === '' ? '' : `<section id="notes"><h2>Notes</h2><ul class="notes">${notes}</ul></section>`,
    '</main>',
    '<footer>Made by ringshift. Every chart has its numbers in the table beside it; the --json output of the same command has them all.</footer>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

export const PAGE_STYLE = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1d;background:#fff}
header,main,footer{max-width:1400px;margin:0 auto;padding:0 16px}
header{padding-top:16px;border-bottom:1px solid #ddd}
h1{font-size:1.45em;margin:.2em 0}
h2{font-size:1.25em;margin:1.2em 0 .4em;padding-top:.4em;border-top:2px solid #222}
h2 a{color:inherit;text-decoration:none}
h3{font-size:1.05em;margin:1em 0 .4em}
.generated{color:#555;margin:0}
dl.sources{display:flex;flex-wrap:wrap;gap:.2em 1.5em;margin:.5em 0}
dl.sources div{min-width:0;max-width:100%}
dl.sources dt{font-size:.8em;color:#555}
dl.sources dd{margin:0;overflow-wrap:anywhere}
nav{display:flex;flex-wrap:wrap;gap:.3em 1em;padding:.5em 0}
nav a{color:#0b5ea8}
code,pre,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.lead{color:#333;max-width:70em}
dl.figures{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}
dl.figures div{border:1px solid #ddd;border-radius:4px;padding:.3em .7em;min-width:8em}
dl.figures dt{font-size:.78em;color:#555}
dl.figures dd{margin:0;font-size:1.15em;font-weight:600}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}
figure{margin:.8em 0;min-width:0}
figcaption{font-weight:600;margin-bottom:.3em}
.fig-body{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.chart{flex:1 1 420px;min-width:0;max-width:680px}
.panel .chart{flex:1 1 240px;max-width:360px}
.fig-table{flex:1 1 300px;min-width:0}
.figure.wide .fig-body{display:block}
.figure.wide .chart{margin-bottom:.6em}
svg{display:block;width:100%;height:auto}
.table-wrap{overflow-x:auto;max-width:100%}
table.data{border-collapse:collapse;margin:.3em 0 .8em;font-size:13px}
table.data caption{text-align:left;color:#555;font-size:.85em;padding-bottom:.2em;caption-side:top}
table.data th,table.data td{border-bottom:1px solid #e3e3e3;padding:.25em .6em;text-align:left;vertical-align:top}
table.data th{background:#f6f6f6;font-weight:600;white-space:nowrap}
table.data td.lbl{white-space:nowrap}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;vertical-align:-1px;border-radius:2px}
.swatch.hollow{border:2px dashed #000;background:transparent}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.2em 1em;padding:0;margin:.2em 0;font-size:.85em}
.note,.notes{color:#444;font-size:.9em}
.bad{color:#b3261e;font-weight:600}
.dim{opacity:.22}
tr.dim{opacity:.4}
.wheel .wheel-title{font-size:15px;font-weight:600;fill:#222}
.wheel .wheel-note{font-size:11px;fill:#555}
.ring-track{stroke:#f1f1f1}
.tick{font-size:11px;fill:#555}
.bar-label,.flow-label{font-size:12px;fill:#222}
.bar-caption{font-size:10px;fill:#555}
.grid{stroke:#e6e6e6;stroke-width:1}
.axis{stroke:#888;stroke-width:1}
.marker-limit{stroke:#b3261e;stroke-width:2;stroke-dasharray:4 2}
.marker-point{stroke:#222;stroke-width:3}
.ribbon{opacity:.6}
.ribbon:hover{opacity:.85}
details{margin:.3em 0}
summary{cursor:pointer}
ul.examples{margin:.3em 0 .6em;padding-left:1.2em;font-size:.92em}
ul.examples li{overflow-wrap:anywhere}
.fix{color:#1b5e20}
.sev{font-size:.78em;font-weight:700;text-transform:uppercase;padding:0 .35em;border-radius:3px;border:1px solid currentColor}
.sev.error{color:#b3261e}.sev.warning{color:#8a5a00}.sev.info{color:#0b5ea8}
.lint-rule{border-left:3px solid #ddd;padding-left:.8em;margin:1em 0}
.finding{margin:.6em 0}
.finding p{margin:.2em 0}
pre.excerpt{background:#f6f6f6;padding:.4em;margin:.3em 0;overflow-x:auto;white-space:pre}
pre.excerpt .ln{display:inline-block;width:3.5em;color:#888;user-select:none}
pre.excerpt .hit{background:#fff0c2;display:inline-block;min-width:100%}
.edit pre{background:#f6f6f6;padding:.4em;margin:.2em 0;white-space:pre-wrap;overflow-wrap:anywhere}
del{background:#fdd}ins{background:#dfd;text-decoration:none}
.see{color:#555;font-size:.9em}
input.filter{margin:.2em 0;padding:.2em .4em;font:inherit;max-width:100%}
footer{color:#666;font-size:.85em;padding:2em 16px}
@media (max-width:600px){body{font-size:13px}header,main,footer{padding:0 10px}}
@media print{
  input.filter,nav{display:none}
  body{font-size:11px}
  h2{break-after:avoid}
  figure,.lint-rule>h3,tr{break-inside:avoid}
  .dim{opacity:1}
  a{color:inherit;text-decoration:none}
}`;

export const PAGE_SCRIPT = `(function(){
var keyed=document.querySelectorAll('[data-k]'),cur=null;
function hl(k){if(k===cur)return;cur=k;for(var i=0;i<keyed.length;i++){var e=keyed[i];e.classList.toggle('dim',k!==null&&e.getAttribute('data-k')!==k);}}
document.addEventListener('mouseover',function(ev){var t=ev.target&&ev.target.closest?ev.target.closest('[data-k]'):null;hl(t?t.getAttribute('data-k'):null);});
var inputs=document.querySelectorAll('input[data-filter]');
for(var j=0;j<inputs.length;j++)(function(inp){var t=document.querySelector('table[data-table="'+inp.getAttribute('data-filter')+'"]');if(!t)return;
inp.addEventListener('input',function(){var q=inp.value.toLowerCase(),rows=t.tBodies[0].rows;for(var r=0;r<rows.length;r++)rows[r].hidden=q!==''&&rows[r].textContent.toLowerCase().indexOf(q)<0;});})(inputs[j]);
window.addEventListener('beforeprint',function(){hl(null);var d=document.querySelectorAll('details');for(var i=0;i<d.length;i++)d[i].open=true;});
})();`;
