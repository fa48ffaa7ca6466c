// The one clock every command uses. RINGSHIFT_NOW (integer unix seconds) pins it so runs, tests and the
// bundled example are reproducible; a malformed value is an error, never silently ignored.
import { UsageError } from './errors.js';

/** Unix seconds now: RINGSHIFT_NOW when set, else the system clock. */
export function nowSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const pinned = env.RINGSHIFT_NOW;
  if (pinned === undefined || pinned === '') return Math.floor(Date.now() / 1000);
  if (!/^[0-9]+$/.test(pinned)) {
    throw new UsageError(`RINGSHIFT_NOW ${JSON.stringify(pinned)} is not a time`, {
      file: 'environment',
      expected: 'integer unix seconds',
    });
  }
  return Number(pinned);
}

/** Milliseconds now, pinned the same way (for ISO stamps in plans and journals). */
export function nowMillis(env: NodeJS.ProcessEnv = process.env): number {
  return env.RINGSHIFT_NOW !== undefined && env.RINGSHIFT_NOW !== '' ? nowSeconds(env) * 1000 : Date.now();
}

/** ISO 8601 of the (possibly pinned) clock. */
export function nowIso(env: NodeJS.ProcessEnv = process.env): string {
  return new Date(nowMillis(env)).toISOString();
}
