// Typed errors. Every error a user can cause carries where it came from (file, line) and what was
// expected, and an exit code: 2 for usage/config problems, 1 for data problems.

export interface ErrorContext {
  /** File the problem is in ('-' for stdin, undefined for command-line input). */
  file?: string | undefined;
  /** 1-based line number inside `file`. */
  line?: number | undefined;
  /** What would have been accepted, e.g. "host:port[:instance]". */
  expected?: string | undefined;
}

export class RingshiftError extends Error {
  readonly exitCode: number;
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  readonly expected?: string | undefined;

  constructor(message: string, ctx: ErrorContext = {}, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.file = ctx.file;
    this.line = ctx.line;
    this.expected = ctx.expected;
  }

  /** "file:line: message (expected …)", the form shown to users. */
  describe(): string {
    const where = this.file === undefined ? '' : this.line === undefined ? `${this.file}: ` : `${this.file}:${this.line}: `;
    const exp = this.expected === undefined ? '' : ` (expected ${this.expected})`;
    return `${where}${this.message}${exp}`;
  }
}

/** Bad flags, arguments or option combinations. Exit code 2. */
export class UsageError extends RingshiftError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx, 2);
  }
}

/** A configuration (file or inline) that cannot be used as given. Exit code 2. */
export class ConfigError extends RingshiftError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx, 2);
  }
}

/** Data on disk is not what it must be (corrupt whisper file, changed source). Exit code 1. */
export class DataError extends RingshiftError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx, 1);
  }
}
