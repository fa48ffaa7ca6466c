// The lint section's data: lint's findings and summary as `lint --json` gives them, plus a few lines of
// each cited file around the cited line (the excerpt a reviewer wants beside the message and the fix).
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import type { LintFindingJson, LintInput } from './report-input.js';

const CONTEXT = 2;
/** Larger files are not excerpted (configs are small; a huge file is not a config). */
const MAX_FILE = 4 << 20;

export interface LintData {
  findings: readonly LintFindingJson[];
  summary: LintInput['summary'];
}

export function lintInput(report: LintData, cwd: string, docsBase?: string): LintInput {
  const texts = new Map<string, string[] | null>();
  const linesOf = (file: string): string[] | null => {
    let t = texts.get(file);
    if (t !== undefined) return t;
    t = null;
    try {
      const abs = resolve(cwd, file);
      if (fs.statSync(abs).size <= MAX_FILE) t = fs.readFileSync(abs, 'utf8').split(/\r?\n/);
    } catch {
      // a finding about a missing file: no excerpt
    }
    texts.set(file, t);
    return t;
  };
  const excerpts: LintInput['excerpts'] = {};
  for (const f of report.findings) {
    if (f.line === null) continue;
    const key = `${f.file}:${f.line}`;
    if (excerpts[key] !== undefined) continue;
    const lines = linesOf(f.file);
    if (lines === null || f.line < 1 || f.line > lines.length) continue;
    const first = Math.max(1, f.line - CONTEXT);
    const end = Math.min(lines.length, f.line + CONTEXT);
    excerpts[key] = { first, lines: lines.slice(first - 1, end) };
  }
  return { findings: [...report.findings], summary: report.summary, excerpts, ...(docsBase !== undefined ? { docsBase } : {}) };
}
