// The rule catalogue is documented: one page per rule with the sections a lint rule catalogue needs, an
// index that links every page under its catalogue number, and examples taken from the fixture repositories.
// The generated parts (header line and index tables from each rule's meta, the example report from its
// fixture) must be what `npm run docs:rules` writes today.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_METAS as RULES } from '../src/lint/rule-catalogue.js';
import { CATALOGUE_REFS } from '../src/lint/rule-meta.js';
import { rewriteRuleIndex, rewriteRulePage, ruleHeaderLine } from '../src/lint/rule-docs.js';
import { ruleExampleReport } from '../src/lint/rule-examples.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const DOCS = join(PROJECT_ROOT, 'docs/rules');
const STALE = 'out of date: run `npm run docs:rules`';

describe('rule documentation', () => {
  it('has exactly one page per rule, plus the index', () => {
    expect(readdirSync(DOCS).sort()).toEqual(['README.md', ...RULES.map((r) => `${r.id}.md`)].sort());
  });

  it('has one module per rule, named after its id', () => {
    const modules = readdirSync(join(PROJECT_ROOT, 'src/lint/rules')).sort();
    expect(modules).toEqual(RULES.map((r) => `${r.id}.ts`).sort());
  });

  for (const r of RULES) {
    it(r.id, async () => {
      const page = readFileSync(join(DOCS, `${r.id}.md`), 'utf8');
      expect(page.startsWith(`# ${r.id}\n\n${ruleHeaderLine(r)}\n`), `header ${STALE}`).toBe(true);
      if (r.ref !== '-') expect(page).toContain(`**${r.ref}**`);
      for (const h of ['## What it checks', '## Why it matters', '## Evidence', '## How to fix', '## Example']) expect(page).toContain(h);
      // The example quotes the fixture's real finding, as the linter prints it today.
      expect(page).toContain(`[${r.id} ${r.ref}]`);
      expect(existsSync(join(PROJECT_ROOT, 'test/fixtures/lint', r.id, 'good'))).toBe(true);
      const report = await ruleExampleReport(PROJECT_ROOT, r.id);
      expect(page, `example ${STALE}`).toBe(rewriteRulePage(page, r, report));
    });
  }

  it('fills an empty example block and keeps what follows it (a new page starts with one)', () => {
    const r = RULES[0]!;
    const intro = '`ringshift lint bad` reports (run from `test/fixtures/lint`):';
    const page = `# ${r.id}\n\nheader\n\n${intro}\n\n\`\`\`text\n\`\`\`\n\n## Passing\n\nafter\n`;
    const out = rewriteRulePage(page, r, 'REPORT LINE\n');
    expect(out).toContain('```text\nREPORT LINE\n```\n\n## Passing\n\nafter\n');
    expect(rewriteRulePage(out, r, 'REPORT LINE\n')).toBe(out);
  });

  it('the index covers R1-R21, links every rule, and its tables are generated from the rules', () => {
    const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
    for (const ref of CATALOGUE_REFS) expect(index).toContain(`## ${ref} — `);
    for (const r of RULES) expect(index).toContain(`[${r.id}](${r.id}.md)`);
    expect(index).toContain('## What configs alone cannot decide');
    expect(index, `index ${STALE}`).toBe(rewriteRuleIndex(index, RULES));
  });

  it('every catalogue number has at least one rule', () => {
    for (const ref of CATALOGUE_REFS)
      expect(
        RULES.some((r) => r.ref === ref),
        ref,
      ).toBe(true);
  });
});
