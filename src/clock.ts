// The one clock every command uses, and the one grammar for times on the command line. RINGSHIFT_NOW
// (integer unix seconds) pins the clock so runs, tests and the bundled example are reproducible; a
// malformed value is an error, never silently ignored. Times are unix seconds, ISO 8601, or relative to
// that clock (`now`, `-2h`, `now-2h`, `now+30m`), so a pinned clock pins every relative time too.
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

export const TIME_SYNTAX = 'unix seconds, ISO 8601 (2023-11-14T22:13:27Z; UTC when no offset), now, -7d, now-2h, now+30m';

const TIME_UNITS: [string, number][] = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
  ['weeks', 7 * 86400],
  ['years', 365 * 86400],
];

/**
 * A time argument as integer unix seconds (fractions truncated, like whisper's int()): unix seconds,
 * ISO 8601 (UTC when no offset is given), `now`, or relative to `now` (`-7d`, `now-2h`, `now+30m`; units
 * are prefixes of seconds/minutes/hours/days/weeks/years, bare = seconds). `flag` names the argument in
 * the one-line error (exit 2).
 */
export function parseTime(text: string, now: number, flag = 'time'): number {
  const bad = (): never => {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a time`, { expected: TIME_SYNTAX });
  };
  const s = text.trim();
  if (/^[0-9]+(\.[0-9]*)?$/.test(s)) return Math.trunc(Number(s));
  if (s === 'now') return now;
  const rel = /^(?:now)?([+-])\s*([0-9]+)\s*([a-z]*)$/i.exec(s);
  if (rel) {
    const unit = rel[3]!.toLowerCase();
    const factor = unit === '' ? 1 : TIME_UNITS.find(([name]) => name.startsWith(unit))?.[1];
    if (factor === undefined) return bad();
    const n = Number(rel[2]) * factor;
    return rel[1] === '-' ? now - n : now + n;
  }
  const iso = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ](.+))?$/.exec(s);
  if (iso) {
    const time = iso[2];
    // Date-only forms are UTC in JS already; a date-time without an offset is taken as UTC too.
    const full = time === undefined ? iso[1]! : `${iso[1]}T${time}${/([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$/.test(time) ? '' : 'Z'}`;
    const ms = Date.parse(full);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  return bad();
}
