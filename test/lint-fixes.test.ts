// Every fix that is an edit is right: for each finding that carries edits, in every rule's bad fixture (and
// the layout fixtures, and the bundled example), the edits are applied to a copy of the fixture and the
// copy is linted again — the finding is gone and no finding appears that was not there before.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../src/lint/fix-edits.js';
import type { FixEdit, LintFinding } from '../src/lint/lint-finding.js';
import { RULE_METAS } from '../src/lint/rule-catalogue.js';
import { FIXTURE_EXPLICIT } from '../src/lint/rule-examples.js';
import { lintPaths } from '../src/lint/run.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures/lint');
const TMP = mkdtempSync(join(tmpdir(), 'ringshift-lint-fixes-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A fixture directory, relative to test/fixtures/lint, with the files named explicitly. */
interface Case {
  dir: string;
  explicit: string[];
}

const CASES: Case[] = [
  ...RULE_METAS.map((r) => ({ dir: `${r.id}/bad`, explicit: (FIXTURE_EXPLICIT[r.id] ?? []).map((f) => `${r.id}/bad/${f}`) })),
  ...readdirSync(join(FIX, '_topology')).map((d) => ({ dir: `_topology/${d}`, explicit: [] })),
];

async function lint(root: string, c: Case): Promise<LintFinding[]> {
  return (await lintPaths([c.dir, ...c.explicit], { cwd: root })).report.findings;
}

const key = (f: LintFinding) => `${f.rule} ${f.file}`;

function counts(fs: readonly LintFinding[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of fs) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
  return m;
}

let copies = 0;

/** A copy of the case's directory under a fresh root, with the edits applied. */
function fixedCopy(c: Case, edits: readonly FixEdit[]): string {
  const root = join(TMP, String(copies++));
  cpSync(join(FIX, c.dir), join(root, c.dir), { recursive: true });
  const byFile = new Map<string, FixEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, es] of byFile) {
    const path = join(root, file);
    expect(existsSync(dirname(path)), `${file} is inside the fixture`).toBe(true);
    writeFileSync(path, applyEdits(readFileSync(path, 'utf8'), es));
  }
  return root;
}

describe('every fix that is an edit removes its finding and adds none', () => {
  for (const c of CASES) {
    it(c.dir, async () => {
      const before = await lint(FIX, c);
      const fixable = before.filter((f) => f.edits !== undefined);
      for (const f of fixable) {
        const after = await lint(fixedCopy(c, f.edits!), c);
        const was = counts(before);
        const now = counts(after);
        const what = `fix of ${f.rule} at ${f.file}:${f.line} (${JSON.stringify(f.edits)})`;
        expect(now.get(key(f)) ?? 0, `${what} leaves the finding`).toBeLessThan(was.get(key(f))!);
        const added = after.filter((x) => (now.get(key(x)) ?? 0) > (was.get(key(x)) ?? 0));
        expect(
          added.map((x) => `${x.rule} ${x.file}:${x.line} ${x.message}`),
          `${what} adds findings`,
        ).toEqual([]);
      }
    });
  }

  for (const r of RULE_METAS.filter((m) => m.fixable === 'edit')) {
    it(`${r.id} offers its fix as an edit on its bad fixture`, async () => {
      const c = CASES.find((x) => x.dir === `${r.id}/bad`)!;
      const mine = (await lint(FIX, c)).filter((f) => f.rule === r.id);
      expect(mine.length).toBeGreaterThan(0);
      expect(
        mine.filter((f) => f.edits === undefined).map((f) => `${f.file}:${f.line} ${f.message}`),
        'findings without an edit',
      ).toEqual([]);
    });
  }
});
