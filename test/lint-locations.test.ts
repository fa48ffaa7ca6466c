// Every file:line a finding cites points into the file it names: the line exists there, holds a setting
// (not a blank or comment line), and, when the finding names its subject (a setting such as
// CARBONLINK_HOSTS, a member such as graphite-1:2004, a [section]), that subject is on the cited line or on
// the statement that starts there. Checked over every lint fixture, with and without its cluster file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LintFinding, Location } from '../src/lint/lint-finding.js';
import { FIXTURE_EXPLICIT } from '../src/lint/rule-examples.js';
import type { RuleId } from '../src/lint/rule-catalogue.js';
import { lintPaths } from '../src/lint/run.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures/lint');

interface Case {
  dir: string;
  explicit: string[];
  cluster?: string;
}

const CASES: Case[] = [];
for (const top of readdirSync(FIX).sort()) {
  for (const sub of readdirSync(join(FIX, top)).sort()) {
    const dir = `${top}/${sub}`;
    const explicit = sub === 'bad' ? (FIXTURE_EXPLICIT[top as RuleId] ?? []).map((f) => `${dir}/${f}`) : [];
    CASES.push({ dir, explicit });
    if (existsSync(join(FIX, dir, 'cluster.yaml'))) CASES.push({ dir, explicit, cluster: `${dir}/cluster.yaml` });
  }
}

const lines = (file: string) => readFileSync(join(FIX, file), 'utf8').replace(/\n$/, '').split('\n');

/** What a finding is about, as it would be written in the file: settings, host:port members, quoted names. */
function subjects(f: LintFinding): string[] {
  const m = f.message;
  const out = new Set<string>();
  for (const x of m.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)) out.add(x[0]);
  for (const x of m.matchAll(/\b([a-z0-9][a-z0-9.-]*):([0-9]{2,5})\b/g)) out.add(`${x[1]}:${x[2]}`);
  for (const x of m.matchAll(/'([a-z][a-z0-9:_-]*)'/g)) out.add(x[1]!);
  return [...out];
}

/** The statement that starts on `line`: a section header with its body, an option with its indented
 * continuation lines, a bracketed Python value. */
function statement(ls: readonly string[], line: number): string {
  if (/^\s*\[[^\]]+\]\s*$/.test(ls[line - 1]!)) {
    let end = line;
    while (end < ls.length && !/^\s*\[/.test(ls[end]!)) end++;
    return ls.slice(line - 1, end).join('\n');
  }
  let end = line;
  let depth = 0;
  for (let i = line - 1; i < ls.length; i++) {
    const l = ls[i]!;
    if (i > line - 1 && depth <= 0 && !/^\s+\S/.test(l)) break;
    for (const c of l.replace(/(["']).*?\1/g, '')) depth += '([{'.includes(c) ? 1 : ')]}'.includes(c) ? -1 : 0;
    end = i + 1;
  }
  return ls.slice(line - 1, end).join('\n');
}

function check(f: LintFinding, loc: Location, what: string): void {
  if (loc.line === null) return;
  const ls = lines(loc.file);
  expect(loc.line, `${what} ${loc.file}:${loc.line} (file has ${ls.length} lines)`).toBeGreaterThanOrEqual(1);
  expect(loc.line, `${what} ${loc.file}:${loc.line} (file has ${ls.length} lines)`).toBeLessThanOrEqual(ls.length);
  const text = ls[loc.line - 1]!;
  expect(text.trim(), `${what} ${loc.file}:${loc.line} is blank`).not.toBe('');
  // (A bare `;` ends a carbon-c-relay statement: not a comment.)
  expect(/^\s*(#|\/\/|;\s*\S)/.test(text), `${what} ${loc.file}:${loc.line} is a comment: ${text}`).toBe(false);
  if (what !== 'finding') return;
  const subs = subjects(f);
  if (subs.length === 0) return;
  const stmt = statement(ls, loc.line);
  // A setting the file does not write (its default applies) is cited at the section it belongs in.
  const header = /^\s*\[[^\]]+\]\s*$/.test(text);
  expect(
    subs.some((s) => stmt.includes(s) || (header && !ls.join('\n').includes(s))),
    `${f.rule} at ${loc.file}:${loc.line} (${JSON.stringify(stmt)}) names none of ${subs.join(', ')}: ${f.message}`,
  ).toBe(true);
}

describe('every cited file:line is in the file and on what the finding is about', () => {
  for (const c of CASES) {
    it(`${c.dir}${c.cluster ? ' --cluster' : ''}`, async () => {
      const r = await lintPaths([c.dir, ...c.explicit], { cwd: FIX, ...(c.cluster ? { cluster: c.cluster } : {}) });
      for (const f of r.report.findings) {
        expect(existsSync(join(FIX, f.file)), f.file).toBe(true);
        check(f, f, 'finding');
        for (const rel of f.related ?? []) check(f, rel, 'related');
      }
    });
  }

  it('a storage location missing for a ring read from another file cites the cluster file, not the source', async () => {
    const r = await lintPaths(['_topology/cluster-source'], { cwd: FIX });
    expect(r.report.findings).toEqual([
      expect.objectContaining({
        file: '_topology/cluster-source/cluster.yaml',
        line: 4,
        message: 'no storage location for ring member graphite-2:b',
      }),
    ]);
  });
});
