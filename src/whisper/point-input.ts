// Points to write, as `whisper update` takes them: TIMESTAMP:VALUE arguments (whisper-update.py's form)
// or "TIMESTAMP VALUE" lines on stdin (carbon's plaintext protocol without the name). TIMESTAMP is N
// (now, as in whisper-update) or any time of the shared grammar (unix seconds, ISO 8601, now, -2h);
// VALUE is what Python's float() reads (1, -2.5, 1e3, nan, inf, -Infinity).
import type { Readable } from 'node:stream';
import { parseTime } from '../clock.js';
import { UsageError } from '../errors.js';
import { lineBatches } from '../input/names.js';
import type { Point } from './update.js';

const POINT_SYNTAX = 'TIMESTAMP:VALUE, e.g. 1700000000:42 or N:42 (N = now)';
const LINE_SYNTAX = '"TIMESTAMP VALUE" per line, e.g. "1700000000 42"';

const FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** Python's float(text) for plain decimal text, or undefined when Python would raise ValueError. */
export function pythonFloat(text: string): number | undefined {
  const s = text.trim();
  if (FLOAT.test(s)) return Number(s);
  const m = SPECIAL.exec(s);
  if (m) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

function timestampOf(text: string, now: number, what: string): number {
  return text.trim() === 'N' ? now : parseTime(text, now, what);
}

/** One TIMESTAMP:VALUE argument (split at the last colon, so ISO 8601 times work too). */
export function parsePointArg(text: string, now: number): Point {
  const colon = text.lastIndexOf(':');
  const value = colon < 0 ? undefined : pythonFloat(text.slice(colon + 1));
  if (colon <= 0 || value === undefined) {
    throw new UsageError(`point ${JSON.stringify(text)} is not TIMESTAMP:VALUE`, { expected: POINT_SYNTAX });
  }
  return [timestampOf(text.slice(0, colon), now, `point ${JSON.stringify(text)}: timestamp`), value];
}

/** Every "TIMESTAMP VALUE" line of a stream (blank lines skipped); errors name `-:LINE`. */
export async function readPointLines(stream: Readable, now: number, source = '-'): Promise<Point[]> {
  const points: Point[] = [];
  let line = 0;
  for await (const batch of lineBatches(stream)) {
    for (const text of batch) {
      line++;
      const fields = text.trim().split(/\s+/);
      if (fields.length === 1 && fields[0] === '') continue;
      const value = fields.length === 2 ? pythonFloat(fields[1]!) : undefined;
      if (value === undefined) {
        throw new UsageError(`${JSON.stringify(text)} is not a point`, { file: source, line, expected: LINE_SYNTAX });
      }
      let t: number;
      try {
        t = timestampOf(fields[0]!, now, 'timestamp');
      } catch (err) {
        throw new UsageError((err as Error).message, { file: source, line, expected: LINE_SYNTAX });
      }
      points.push([t, value]);
    }
  }
  return points;
}
