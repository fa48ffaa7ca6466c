// Lint vocabulary: a finding is one rule violation at one place, with where the other side is, what to do
// about it in words, and — where the fix is an edit — the edit itself, so a tool (or a test) can apply it.
// The rule id is a type parameter: this vocabulary sits below the rules, and the catalogue (which imports
// every rule) fills it with its RuleId union, so a run's findings name only rules that exist.

export type Severity = 'error' | 'warning' | 'info';

export interface Location {
  file: string;
  /** 1-based; null when the finding is about a whole file or a missing setting. */
  line: number | null;
}

/**
 * One machine-applicable edit: in `file`, the text `old` that starts on line `line` becomes `new`. `old`
 * may span several lines; an empty `old` inserts `new` at the start of the line (line = line count + 1
 * appends to the file).
 */
export interface FixEdit {
  file: string;
  line: number;
  old: string;
  new: string;
  /** 1-based column where `old` starts (filled in when the run checks the edit against the file). */
  column?: number;
}

export interface LintFinding<Rule extends string = string> extends Location {
  /** kebab-case rule id, e.g. `ring-members-mismatch` (a run's findings: `LintFinding<RuleId>`). */
  rule: Rule;
  /** Catalogue number in the consistency rules, e.g. `R1` (`-` for rules outside the catalogue). */
  ref: string;
  severity: Severity;
  message: string;
  /** A concrete fix, in words. */
  fix?: string;
  /** The fix as edits, when it is one (applied together, they make this finding go away). */
  edits?: FixEdit[];
  /** The other side(s) of a disagreement. */
  related?: Location[];
}

export interface LintSummary {
  errors: number;
  warnings: number;
  infos: number;
  files: number;
}

export interface LintReport<Rule extends string = string> {
  findings: LintFinding<Rule>[];
  summary: LintSummary;
}

export function summarize(findings: readonly LintFinding[], files: number): LintSummary {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return { errors, warnings, infos, files };
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order: file, line, severity, rule. */
export function sortFindings<F extends LintFinding>(findings: F[]): F[] {
  return findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}

/** `--fail-on`: the mildest severity that fails the run (never: always exit 0). */
export type FailOn = Severity | 'never';
export const FAIL_ON: readonly FailOn[] = ['error', 'warning', 'info', 'never'];

/** 0: nothing at or above the --fail-on severity; 1: something is. */
export function lintExitCode(summary: LintSummary, failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  if (summary.errors > 0) return 1;
  if ((failOn === 'warning' || failOn === 'info') && summary.warnings > 0) return 1;
  if (failOn === 'info' && summary.infos > 0) return 1;
  return 0;
}
