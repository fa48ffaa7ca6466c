// SIGINT/SIGTERM for the long jobs (apply, heal): the first signal asks the library to stop — the actions
// in flight finish and are journaled, no new one starts, the journals are closed, the progress bars
// stop (restoring the cursor) — and the command then says "interrupted: run the same command to
// resume" and exits 130/143. A second signal exits at once: the journal makes even that safe (it is
// the kill -9 case), only the cursor is restored first.

/** What the library polls: the signal that asked to stop, or null. */
export interface StopRequest {
  signal: NodeJS.Signals | null;
}

/** The exit code of a clean stop on `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Run `work` with SIGINT/SIGTERM turned into a stop request; the handlers are removed afterwards. */
export async function withStopSignals<T>(work: (stop: StopRequest) => Promise<T>): Promise<{ result: T; signal: NodeJS.Signals | null }> {
  const stop: StopRequest = { signal: null };
  const handler = (signal: NodeJS.Signals) => {
    if (stop.signal !== null) {
      if (process.stderr.isTTY) process.stderr.write('\u001b[?25h\n');
      process.exit(signalExitCode(signal));
    }
    stop.signal = signal;
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    const result = await work(stop);
    return { result, signal: stop.signal };
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}

/** The one line after a clean stop. */
export const INTERRUPTED_LINE = 'interrupted: run the same command to resume';
