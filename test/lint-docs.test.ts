// The rule catalogue is documented: one page per rule with the sections a lint rule catalogue needs, an
// index that links every page under its catalogue number, and examples taken from the fixture repositories.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/lint/format.js';
import { CATALOGUE_REFS, RULES } from '../src/lint/rules/registry.js';
import { lintPaths } from '../src/lint/run.js';
import { summarize } from '../src/lint/types.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const DOCS = join(PROJECT_ROOT, 'docs/rules');

describe('rule documentation', () => {
  it('has exactly one page per rule, plus the index', () => {
    expect(readdirSync(DOCS).sort()).toEqual(['README.md', ...RULES.map((r) => `${r.id}.md`)].sort());
  });

  for (const r of RULES) {
    it(r.id, async () => {
      const page = readFileSync(join(DOCS, `${r.id}.md`), 'utf8');
      expect(page.startsWith(`# ${r.id}\n`)).toBe(true);
      if (r.ref !== '-') expect(page).toContain(`**${r.ref}**`);
      for (const h of ['## What it checks', '## Why it matters', '## Evidence', '## How to fix', '## Example']) expect(page).toContain(h);
      // The example quotes the fixture's real finding, as the linter prints it today.
      expect(page).toContain(`[${r.id} ${r.ref}]`);
      expect(existsSync(join(PROJECT_ROOT, 'test/fixtures/lint', r.id, 'good'))).toBe(true);
      const explicit = r.id === 'file-not-recognized' ? [`${r.id}/bad/NOTES.txt`] : [];
      const res = await lintPaths([`${r.id}/bad`, ...explicit], { cwd: join(PROJECT_ROOT, 'test/fixtures/lint') });
      const mine = res.report.findings.filter((f) => f.rule === r.id);
      const text = formatReport({ findings: mine, summary: summarize(mine, 0) }, 'text', { rules: RULES });
      expect(page).toContain(text.slice(0, text.lastIndexOf('\n\n')));
    });
  }

  it('the index covers R1-R21 and links every rule', () => {
    const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
    for (const ref of CATALOGUE_REFS) expect(index).toContain(`## ${ref} — `);
    for (const r of RULES) expect(index).toContain(`[${r.id}](${r.id}.md)`);
    expect(index).toContain('## What configs alone cannot decide');
  });

  it('every catalogue number has at least one rule', () => {
    for (const ref of CATALOGUE_REFS)
      expect(
        RULES.some((r) => r.ref === ref),
        ref,
      ).toBe(true);
  });
});
