// Problems found while reading a config, as data. A parser throws ConfigError only where the real program
// would refuse to start; everything it would accept (however wrongly) is reported here instead, with the
// file and line, so the linter can turn it into findings.

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

export interface ConfigDiagnostic {
  file: string;
  /** 1-based; null when the problem is about the whole file or a missing setting. */
  line: number | null;
  /**
   * error: some program reading this file would refuse to start or fail on first use (e.g. a bare `%` in a
   * section another program reads); warning: accepted, but probably not what was meant; info: worth knowing.
   */
  severity: DiagnosticSeverity;
  /** Stable kebab-case id (e.g. `inline-comment`, `host-port-key`) the linter maps to its rules. */
  code: string;
  message: string;
  /** Structured details (the key, did-you-mean candidates, the section, ...). */
  data?: Record<string, unknown>;
}

/** Collects diagnostics for one file. */
export class DiagnosticSink {
  readonly items: ConfigDiagnostic[] = [];
  constructor(readonly file: string) {}

  add(severity: DiagnosticSeverity, code: string, line: number | null, message: string, data?: Record<string, unknown>): void {
    const d: ConfigDiagnostic = { file: this.file, line, severity, code, message };
    if (data !== undefined) d.data = data;
    this.items.push(d);
  }
  error(code: string, line: number | null, message: string, data?: Record<string, unknown>): void {
    this.add('error', code, line, message, data);
  }
  warn(code: string, line: number | null, message: string, data?: Record<string, unknown>): void {
    this.add('warning', code, line, message, data);
  }
  info(code: string, line: number | null, message: string, data?: Record<string, unknown>): void {
    this.add('info', code, line, message, data);
  }
}
