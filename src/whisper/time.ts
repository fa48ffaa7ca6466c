// Times on the command line: unix seconds, ISO 8601, or relative to now (`-7d`, `now-2h`, `now`),
// and the clock the commands use (RINGSHIFT_NOW pins it for reproducible runs and tests).
import { WhisperUsageError } from './errors.js';

const TIME_SYNTAX = 'unix seconds, ISO 8601 (2023-11-14T22:13:27Z; UTC when no offset), now, -7d, now-2h, now+30m';

const UNITS: [string, number][] = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
  ['weeks', 7 * 86400],
  ['years', 365 * 86400],
];

function unitSeconds(unit: string, text: string): number {
  if (unit === '') return 1;
  for (const [name, n] of UNITS) if (name.startsWith(unit)) return n;
  throw new WhisperUsageError('InvalidArguments', `unknown time unit '${unit}' in '${text}'`, TIME_SYNTAX);
}

/** Parse a time argument into integer unix seconds (fractions are truncated, like whisper's int()). */
export function parseTime(text: string, now: number): number {
  const s = text.trim();
  if (/^[0-9]+(\.[0-9]*)?$/.test(s)) return Math.trunc(Number(s));
  if (s === 'now') return now;
  const rel = /^(?:now)?([+-])\s*([0-9]+)\s*([a-z]*)$/i.exec(s);
  if (rel) {
    const n = Number(rel[2]) * unitSeconds(rel[3]!.toLowerCase(), text);
    return rel[1] === '-' ? now - n : now + n;
  }
  const iso = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ](.+))?$/.exec(s);
  if (iso) {
    const time = iso[2];
    // Date-only forms are UTC in JS already; a date-time without an offset is taken as UTC too.
    const text2 = time === undefined ? iso[1]! : `${iso[1]}T${time}${/([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$/.test(time) ? '' : 'Z'}`;
    const ms = Date.parse(text2);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw new WhisperUsageError('InvalidArguments', `cannot read time '${text}'`, TIME_SYNTAX);
}

/** The clock for commands: RINGSHIFT_NOW (integer seconds) when set, else the system clock. */
export function clockNow(env: NodeJS.ProcessEnv = process.env): number {
  const pinned = env.RINGSHIFT_NOW;
  if (pinned !== undefined && pinned !== '') {
    if (!/^[0-9]+$/.test(pinned))
      throw new WhisperUsageError('InvalidArguments', `RINGSHIFT_NOW must be integer unix seconds, got '${pinned}'`);
    return Number(pinned);
  }
  return Math.floor(Date.now() / 1000);
}
