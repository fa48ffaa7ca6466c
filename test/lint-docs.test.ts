// The rule catalogue is documented: one page per rule with the sections a lint rule catalogue needs, an
// index that links every page under its catalogue number, and examples taken from the fixture repositories.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_REFS, RULES } from '../src/lint/rules/registry.js';
import { PROJECT_ROOT } from './helpers/shared.js';

const DOCS = join(PROJECT_ROOT, 'docs/rules');

describe('rule documentation', () => {
  it('has exactly one page per rule, plus the index', () => {
    expect(readdirSync(DOCS).sort()).toEqual(['README.md', ...RULES.map((r) => `${r.id}.md`)].sort());
  });

  for (const r of RULES) {
    it(r.id, () => {
      const page = readFileSync(join(DOCS, `${r.id}.md`), 'utf8');
      expect(page.startsWith(`# ${r.id}\n`)).toBe(true);
      if (r.ref !== '-') expect(page).toContain(`**${r.ref}**`);
      for (const h of ['## What it checks', '## Why it matters', '## Evidence', '## How to fix', '## Example']) expect(page).toContain(h);
      // The example quotes the fixture's real finding.
      expect(page).toContain(`[${r.id} ${r.ref}]`);
      expect(existsSync(join(PROJECT_ROOT, 'test/fixtures/lint', r.id, 'good'))).toBe(true);
    });
  }

  it('the index covers R1-R21 and links every rule', () => {
    const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
    for (const ref of CATALOGUE_REFS) expect(index).toContain(`## ${ref} — `);
    for (const r of RULES) expect(index).toContain(`[${r.id}](${r.id}.md)`);
    expect(index).toContain('## What configs alone cannot decide');
  });

  it('every catalogue number has at least one rule', () => {
    for (const ref of CATALOGUE_REFS) expect(RULES.some((r) => r.ref === ref), ref).toBe(true);
  });
});
