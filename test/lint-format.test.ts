import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/lint/report-formats.js';
import { summarize, type LintFinding } from '../src/lint/lint-finding.js';
import type { RuleMeta } from '../src/lint/rule-meta.js';

const rules: RuleMeta[] = [
  {
    id: 'ring-members-mismatch',
    ref: 'R1',
    severity: 'error',
    summary: 'Relay and webapp rings have the same members',
    fixable: 'edit',
    messages: {},
  },
  {
    id: 'ring-order-mismatch',
    ref: 'R4',
    severity: 'warning',
    summary: 'Ring members are listed in the same order',
    fixable: 'edit',
    messages: {},
  },
];
const findings: LintFinding[] = [
  {
    rule: 'ring-members-mismatch',
    ref: 'R1',
    severity: 'error',
    file: 'relay/carbon.conf',
    line: 12,
    message: 'ownership of 12.5 % of the keyspace differs; members only in DESTINATIONS: graphite-3:a',
    fix: 'add "graphite-3:7002:a" to CARBONLINK_HOSTS',
    edits: [
      { file: 'web/local_settings.py', line: 3, column: 20, old: '"graphite-1:7002:a"]', new: '"graphite-1:7002:a", "graphite-3:7002:a"]' },
    ],
    related: [{ file: 'web/local_settings.py', line: 3 }],
  },
  { rule: 'ring-order-mismatch', ref: 'R4', severity: 'warning', file: 'a, b.conf', line: null, message: 'order: 50% <x> & "y"' },
];
const report = { findings, summary: summarize(findings, 2) };

describe('lint report formats', () => {
  it('json is NDJSON: one finding a line (documented key order), then the summary; never pretty-printed', () => {
    const out = formatReport(report, 'json', { rules });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs[0]).toEqual({ type: 'finding', ...findings[0] });
    expect(Object.keys(docs[0]!)).toEqual(['type', 'rule', 'ref', 'severity', 'file', 'line', 'message', 'fix', 'edits', 'related']);
    expect(docs[1]).not.toHaveProperty('fix');
    expect(docs[2]).toEqual({ type: 'summary', errors: 1, warnings: 1, infos: 0, files: 2 });
    expect(out).not.toMatch(/\n /);
  });

  it('github annotations escape properties and data', () => {
    const out = formatReport(report, 'github', { rules }).trim().split('\n');
    expect(out[0]).toBe(
      '::error file=relay/carbon.conf,line=12,title=ring-members-mismatch (R1)::ownership of 12.5 %25 of the keyspace differs; members only in DESTINATIONS: graphite-3:a%0AFix: add "graphite-3:7002:a" to CARBONLINK_HOSTS',
    );
    expect(out[1]).toBe('::warning file=a%2C b.conf,title=ring-order-mismatch (R4)::order: 50%25 <x> & "y"');
  });

  it('junit fails exactly the rules with errors and escapes XML', () => {
    const out = formatReport(report, 'junit', { rules });
    expect(out).toMatch(/<testsuites name="ringshift lint" tests="2" failures="1">/);
    expect(out).toMatch(/<failure message="1 error\(s\)" type="error">relay\/carbon.conf:12:/);
    expect(out).toContain('order: 50% &lt;x&gt; &amp; &quot;y&quot;');
  });

  it('sarif 2.1.0 carries rules, levels, regions and related locations', () => {
    const doc = JSON.parse(formatReport(report, 'sarif', { rules, docsBase: 'docs/rules' }));
    expect(doc.version).toBe('2.1.0');
    const run = doc.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['ring-members-mismatch', 'ring-order-mismatch']);
    expect(run.results[0]).toMatchObject({
      ruleId: 'ring-members-mismatch',
      ruleIndex: 0,
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'relay/carbon.conf' }, region: { startLine: 12 } } }],
      relatedLocations: [{ id: 0, physicalLocation: { artifactLocation: { uri: 'web/local_settings.py' } } }],
    });
    expect(run.results[1].locations[0].physicalLocation).not.toHaveProperty('region');
    // The edit as a SARIF fix: the region `old` occupies and what replaces it.
    expect(run.results[0].fixes).toEqual([
      {
        description: { text: 'add "graphite-3:7002:a" to CARBONLINK_HOSTS' },
        artifactChanges: [
          {
            artifactLocation: { uri: 'web/local_settings.py' },
            replacements: [
              {
                deletedRegion: { startLine: 3, startColumn: 20, endLine: 3, endColumn: 40 },
                insertedContent: { text: '"graphite-1:7002:a", "graphite-3:7002:a"]' },
              },
            ],
          },
        ],
      },
    ]);
    expect(run.results[1]).not.toHaveProperty('fixes');
  });

  it('text names file:line, rule and fix, and ends with the counts', () => {
    const out = formatReport(report, 'text', { rules });
    expect(out).toContain('relay/carbon.conf:12: error ownership of 12.5 %');
    expect(out).toContain('    see web/local_settings.py:3');
    expect(out).toContain('    fix: add "graphite-3:7002:a" to CARBONLINK_HOSTS');
    expect(out.trim().split('\n').at(-1)).toBe('1 error, 1 warning, 0 info in 2 files');
  });

  it('html: one self-contained page, a row per finding with its fix and edits, everything escaped', () => {
    const out = formatReport(report, 'html', { rules, docsBase: 'docs/rules' });
    expect(out.startsWith('<!doctype html>')).toBe(true);
    expect(out).toContain('<h1>ringshift lint: 1 error, 1 warning, 0 info in 2 files</h1>');
    expect(out.match(/<tr><td>/g)).toHaveLength(2);
    expect(out).toContain('<a href="docs/rules/ring-members-mismatch.md">ring-members-mismatch</a> (R1)');
    expect(out).toContain('<del>&quot;graphite-1:7002:a&quot;]</del>');
    expect(out).toContain('order: 50% &lt;x&gt; &amp; &quot;y&quot;');
    expect(out).not.toMatch(/<script|https?:\/\//);
  });
});
