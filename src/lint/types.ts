// Lint vocabulary: a finding is one rule violation at one place, with where the other side is.

export type Severity = 'error' | 'warning' | 'info';

export interface Location {
  file: string;
  /** 1-based; null when the finding is about a whole file or a missing setting. */
  line: number | null;
}

export interface Finding extends Location {
  /** kebab-case rule id, e.g. `ring-members-mismatch`. */
  rule: string;
  /** Catalogue number in configs.md §9, e.g. `R1`. */
  ref: string;
  severity: Severity;
  message: string;
  /** A concrete fix. */
  fix?: string;
  /** The other side(s) of a disagreement. */
  related?: Location[];
}

export interface RuleMeta {
  id: string;
  ref: string;
  severity: Severity;
  /** One line: what the rule checks. */
  title: string;
}

export interface LintSummary {
  errors: number;
  warnings: number;
  infos: number;
  files: number;
}

export interface LintReport {
  findings: Finding[];
  summary: LintSummary;
}

export function summarize(findings: readonly Finding[], files: number): LintSummary {
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
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}

/** 0: no errors (warnings allowed unless strict); 1: errors (or, with strict, warnings). */
export function lintExitCode(summary: LintSummary, strict: boolean): 0 | 1 {
  if (summary.errors > 0) return 1;
  if (strict && summary.warnings > 0) return 1;
  return 0;
}
