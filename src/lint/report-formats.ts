// Lint report renderers: text for people, json for tools (NDJSON: one finding a line, then the summary),
// github workflow annotations, JUnit XML and SARIF 2.1.0 (with the fix edits as SARIF fixes) for CI
// dashboards, and one self-contained HTML page (no scripts, no external resources) for people.
import type { FixEdit, LintFinding, LintReport } from './lint-finding.js';
import type { RuleMeta } from './rule-meta.js';

type Finding = LintFinding;

export type LintFormat = 'text' | 'json' | 'github' | 'junit' | 'sarif' | 'html';
export const LINT_FORMATS: readonly LintFormat[] = ['text', 'json', 'github', 'junit', 'sarif', 'html'];

export interface FormatOptions {
  /** Rule catalogue, for SARIF rule metadata and help links. */
  rules: readonly RuleMeta[];
  /** Base of the per-rule documentation links (docs/rules/<id>.md). */
  docsBase?: string;
  /** Colorize text output (severity words). */
  color?: (severity: Finding['severity'], text: string) => string;
}

export function formatReport(report: LintReport, format: LintFormat, opts: FormatOptions): string {
  switch (format) {
    case 'text':
      return formatText(report, opts);
    case 'json':
      return formatNdjson(report);
    case 'github':
      return formatGithub(report);
    case 'junit':
      return formatJunit(report, opts);
    case 'sarif':
      return JSON.stringify(sarif(report, opts), null, 2) + '\n';
    case 'html':
      return formatHtml(report, opts);
  }
}

function where(file: string, line: number | null): string {
  return line === null ? file : `${file}:${line}`;
}

/** One line per finding ({"type":"finding",…}), then one summary line ({"type":"summary",…}). */
function formatNdjson(report: LintReport): string {
  const lines = report.findings.map((f) => JSON.stringify({ type: 'finding', ...jsonFinding(f) }));
  lines.push(JSON.stringify({ type: 'summary', ...report.summary }));
  return lines.join('\n') + '\n';
}

export function jsonFinding(f: Finding): Finding {
  // Fixed key order, optional keys only when present.
  const out: Finding = { rule: f.rule, ref: f.ref, severity: f.severity, file: f.file, line: f.line, message: f.message };
  if (f.fix !== undefined) out.fix = f.fix;
  if (f.edits !== undefined)
    out.edits = f.edits.map((e) => ({
      file: e.file,
      line: e.line,
      ...(e.column !== undefined ? { column: e.column } : {}),
      old: e.old,
      new: e.new,
    }));
  if (f.related !== undefined && f.related.length > 0) out.related = f.related.map((r) => ({ file: r.file, line: r.line }));
  return out;
}

function formatText(report: LintReport, opts: FormatOptions): string {
  const paint = opts.color ?? ((_s, t) => t);
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${where(f.file, f.line)}: ${paint(f.severity, f.severity)} ${f.message} [${f.rule} ${f.ref}]`);
    for (const r of f.related ?? []) lines.push(`    see ${where(r.file, r.line)}`);
    if (f.fix !== undefined) lines.push(`    fix: ${f.fix}`);
  }
  const s = report.summary;
  if (lines.length > 0) lines.push('');
  lines.push(
    `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ` +
      `${s.infos} info in ${s.files} file${s.files === 1 ? '' : 's'}`,
  );
  return lines.join('\n') + '\n';
}

// GitHub workflow commands: properties escape % \r \n : , ; the message escapes % \r \n.
function ghProp(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function formatGithub(report: LintReport): string {
  const level = { error: 'error', warning: 'warning', info: 'notice' } as const;
  const out = report.findings.map((f) => {
    const props = [`file=${ghProp(f.file)}`];
    if (f.line !== null) props.push(`line=${f.line}`);
    props.push(`title=${ghProp(`${f.rule} (${f.ref})`)}`);
    const msg = f.fix === undefined ? f.message : `${f.message}\nFix: ${f.fix}`;
    return `::${level[f.severity]} ${props.join(',')}::${ghData(msg)}`;
  });
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

function xml(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 forbids most control characters even when escaped.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}

/** One test case per rule; a rule with errors fails, warnings and infos are reported as system-out. */
function formatJunit(report: LintReport, opts: FormatOptions): string {
  const byRule = new Map<string, Finding[]>();
  for (const r of opts.rules) byRule.set(r.id, []);
  for (const f of report.findings) {
    if (!byRule.has(f.rule)) byRule.set(f.rule, []);
    byRule.get(f.rule)!.push(f);
  }
  const cases: string[] = [];
  let failures = 0;
  for (const [rule, findings] of byRule) {
    const meta = opts.rules.find((r) => r.id === rule);
    const name = meta ? `${rule} (${meta.ref}): ${meta.summary}` : rule;
    const errors = findings.filter((f) => f.severity === 'error');
    const others = findings.filter((f) => f.severity !== 'error');
    let body = '';
    if (errors.length > 0) {
      failures++;
      const text = errors.map((f) => `${where(f.file, f.line)}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`).join('\n');
      body += `<failure message="${xml(`${errors.length} error(s)`)}" type="error">${xml(text)}</failure>`;
    }
    if (others.length > 0) {
      body += `<system-out>${xml(others.map((f) => `${f.severity}: ${where(f.file, f.line)}: ${f.message}`).join('\n'))}</system-out>`;
    }
    cases.push(`    <testcase classname="ringshift.lint" name="${xml(name)}">${body}</testcase>`);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ringshift lint" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="ringshift lint" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function sarif(report: LintReport, opts: FormatOptions): object {
  const level = { error: 'error', warning: 'warning', info: 'note' } as const;
  const rules = opts.rules.map((r) => ({
    id: r.id,
    name: r.id,
    shortDescription: { text: r.summary },
    properties: { ref: r.ref },
    defaultConfiguration: { level: level[r.severity] },
    ...(opts.docsBase ? { helpUri: `${opts.docsBase}/${r.id}.md` } : {}),
  }));
  const loc = (file: string, line: number | null) => ({
    physicalLocation: {
      artifactLocation: { uri: file },
      ...(line === null ? {} : { region: { startLine: line } }),
    },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ringshift', informationUri: 'https://github.com/ringshift/ringshift', rules } },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ...(opts.rules.findIndex((r) => r.id === f.rule) >= 0 ? { ruleIndex: opts.rules.findIndex((r) => r.id === f.rule) } : {}),
          level: level[f.severity],
          message: { text: f.fix === undefined ? f.message : `${f.message} Fix: ${f.fix}` },
          locations: [loc(f.file, f.line)],
          ...(f.related && f.related.length > 0 ? { relatedLocations: f.related.map((r, i) => ({ id: i, ...loc(r.file, r.line) })) } : {}),
          ...(f.edits !== undefined ? { fixes: [sarifFix(f.fix ?? '', f.edits)] } : {}),
          properties: { ref: f.ref },
        })),
      },
    ],
  };
}

/** SARIF fix: each edit as a replacement of the region `old` occupies (1-based lines and columns). */
function sarifFix(description: string, edits: readonly FixEdit[]): object {
  const byFile = new Map<string, FixEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return {
    description: { text: description },
    artifactChanges: [...byFile].map(([file, es]) => ({
      artifactLocation: { uri: file },
      replacements: es.map((e) => {
        const lines = e.old.split('\n');
        const col = e.column ?? 1;
        const endLine = e.line + lines.length - 1;
        const endColumn = lines.length === 1 ? col + e.old.length : 1 + lines[lines.length - 1]!.length;
        return { deletedRegion: { startLine: e.line, startColumn: col, endLine, endColumn }, insertedContent: { text: e.new } };
      }),
    })),
  };
}

const HTML_STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.3em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:left;vertical-align:top}
.error{color:#b00020;font-weight:bold}.warning{color:#8a5a00}.info{color:#0b5ea8}code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f6f6f6;padding:.4em;margin:.3em 0;white-space:pre-wrap}del{background:#fdd}ins{background:#dfd;text-decoration:none}
.see{color:#666}code,pre,td{overflow-wrap:anywhere}
@media (max-width:720px){body{margin:1em}table,tbody,tr,td{display:block}thead{display:none}tr{border-bottom:1px solid #ccc;padding:.5em 0}td{border:0;padding:.15em 0}}`;

/** One HTML page: the summary, then a row per finding (where, severity, rule with its page, message, fix, edits). */
function formatHtml(report: LintReport, opts: FormatOptions): string {
  const h = (t: string) => xml(t).replace(/'/g, '&#39;');
  const s = report.summary;
  const summary = `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.infos} info in ${s.files} file${s.files === 1 ? '' : 's'}`;
  const rows = report.findings.map((f) => {
    const rule = opts.docsBase ? `<a href="${h(`${opts.docsBase}/${f.rule}.md`)}">${h(f.rule)}</a>` : h(f.rule);
    const see = (f.related ?? []).map((r) => `<div class="see">see <code>${h(where(r.file, r.line))}</code></div>`).join('');
    const edits = (f.edits ?? [])
      .map((e) => `<div><code>${h(where(e.file, e.line))}</code><pre><del>${h(e.old)}</del>\n<ins>${h(e.new)}</ins></pre></div>`)
      .join('');
    return (
      `<tr><td><code>${h(where(f.file, f.line))}</code>${see}</td><td class="${f.severity}">${f.severity}</td>` +
      `<td>${rule} (${h(f.ref)})</td><td>${h(f.message)}</td><td>${f.fix === undefined ? '' : h(f.fix)}${edits}</td></tr>`
    );
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>ringshift lint</title>',
    `<style>${HTML_STYLE}</style></head><body>`,
    `<h1>ringshift lint: ${h(summary)}</h1>`,
    rows.length === 0
      ? '<p>No findings.</p>'
      : `<table><thead><tr><th>where</th><th>severity</th><th>rule</th><th>finding</th><th>fix</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
    '</body></html>',
    '',
  ].join('\n');
}
