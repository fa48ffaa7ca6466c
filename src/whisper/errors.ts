// Typed whisper errors. They extend the project's DataError / UsageError (so commands print
// "file: message" with the right exit code) and add a stable `code` the planner can branch on.
import { DataError, UsageError } from '../errors.js';

/**
 * Codes of whisper problems. The fill refusal codes (InvalidArguments, DstMissing, SrcMissing,
 * SameFile, DstCorrupt, SrcCorrupt) are the ones named by the shared vectors' `fill_gaps` rule.
 */
export type WhisperErrorCode =
  | 'CorruptHeader' // whisper's own header checks fail ("Unable to read header", "Unable to read archiveN metadata")
  | 'Truncated' // the file ends before a region the header promises
  | 'Corrupt' // the header reads but the layout is inconsistent (strict structural check)
  | 'NoArchives'
  | 'Missing'
  | 'NotRegularFile'
  | 'SameFile'
  | 'LayoutMismatch' // merge: archive lists differ
  | 'InvalidTimeInterval'
  | 'InvalidGranularity'
  | 'TimestampNotCovered'
  | 'Exists'
  | 'InvalidConfiguration'
  | 'InvalidArguments'
  | 'Locked'
  | 'IO'
  | 'DstMissing'
  | 'SrcMissing'
  | 'DstCorrupt'
  | 'SrcCorrupt';

/** The two files of a fill or merge, named by every refusal of that pair. */
export interface FilePair {
  src: string;
  dst: string;
}

function describePair(pair: FilePair, message: string, expected: string | undefined): string {
  return `${pair.src} -> ${pair.dst}: ${message}${expected === undefined ? '' : ` (expected ${expected})`}`;
}

/** A problem with whisper data on disk (exit 1). */
export class WhisperError extends DataError {
  readonly code: WhisperErrorCode;
  /** Set when the problem refused a fill or merge: the one-line form then names both files. */
  pair?: FilePair;
  constructor(code: WhisperErrorCode, message: string, file?: string, expected?: string) {
    super(message, { file, expected });
    this.code = code;
  }

  override describe(): string {
    return this.pair ? describePair(this.pair, this.message, this.expected) : super.describe();
  }
}

/** A bad request (times, retentions, options): exit 2. */
export class WhisperUsageError extends UsageError {
  readonly code: WhisperErrorCode;
  pair?: FilePair;
  constructor(code: WhisperErrorCode, message: string, expected?: string) {
    super(message, { expected });
    this.code = code;
  }

  override describe(): string {
    return this.pair ? describePair(this.pair, this.message, this.expected) : super.describe();
  }
}

/** Mark a refusal of the pair (src, dst) so it names both files; other errors pass unchanged. */
export function refusingPair(err: unknown, src: string, dst: string): unknown {
  if (err instanceof WhisperError || err instanceof WhisperUsageError) err.pair ??= { src, dst };
  return err;
}

/** Re-label an error about one side of a pair with the pair-level refusal code, keeping the message. */
export function asPairError(err: unknown, code: 'DstCorrupt' | 'SrcCorrupt'): unknown {
  if (
    err instanceof WhisperError &&
    (err.code === 'CorruptHeader' || err.code === 'Truncated' || err.code === 'Corrupt' || err.code === 'NoArchives')
  ) {
    const role = code === 'DstCorrupt' ? 'destination' : 'source';
    return new WhisperError(code, `${role} is corrupt: ${err.message}`, err.file, err.expected);
  }
  return err;
}

/** Wrap a Node fs error (ENOENT, EACCES, EISDIR, …) as a WhisperError naming the file. */
export function ioError(err: unknown, file: string, doing: string): WhisperError {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return new WhisperError('Missing', 'no such file', file);
  if (e && e.code === 'EISDIR') return new WhisperError('NotRegularFile', 'is a directory, not a whisper file', file);
  const why = e && e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String(err);
  return new WhisperError('IO', `cannot ${doing}: ${why}`, file);
}
