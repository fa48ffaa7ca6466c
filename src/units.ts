// Units on the command line and in reports, one grammar for the whole suite (docs/cli.md):
// sizes and rates always carry a unit — K, M, G, T and KiB… are powers of 1024 (as rsync, du -h and
// df -h read them), KB, MB, GB, TB powers of 1000; a bare number is refused, because `--bwlimit 500`
// means KiB/s to rsync users and bytes to everyone else. Durations are 90s, 10m, 2h, 7d, 1w, 1y or
// compounds (1h30m); a bare number is seconds. Counts are plain integers with a range.
import { UsageError } from './errors.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

/** 3725 → "1h 2m 5s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  let s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: string[] = [];
  if (d > 0) parts.push(`${d}d`);
  if (h > 0) parts.push(`${h}h`);
  if (m > 0) parts.push(`${m}m`);
  if (s > 0 && d === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/**
 * A fraction as a percentage, with a space before the sign like every unit here: "12.5 %". `digits` fixes
 * the decimals (for aligned columns); without it they adapt, so a small share never reads as 0:
 * 0 %, 0.0012 %, 0.123 %, 12.5 %.
 */
export function formatPercent(fraction: number, digits?: number): string {
  const v = fraction * 100;
  if (digits !== undefined) return `${v.toFixed(digits)} %`;
  if (v === 0) return '0 %';
  const size = Math.abs(v);
  return `${v.toFixed(size < 0.01 ? 4 : size < 1 ? 3 : 1)} %`;
}

// ---------------------------------------------------------------------------------------------------
// Parsing (flags). Every parser names the flag and what it expected in its one-line UsageError.

const BYTE_FACTORS: Record<string, number> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};
const SIZE_SYNTAX = 'a size with a unit: 512K, 20M, 1.5G (powers of 1024), 20MB (powers of 1000), 100B';

/** "20M" → 20971520, "1.5G", "20MB" → 2e7, "100B". A bare number is refused (ambiguous). */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]+)\s*$/i.exec(text);
  const factor = m === null ? undefined : BYTE_FACTORS[m[2]!.toLowerCase()];
  const v = m === null ? NaN : Number(m[1]);
  if (factor === undefined || !Number.isFinite(v)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a size`, { expected: SIZE_SYNTAX });
  }
  const n = Math.round(v * factor);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} ${JSON.stringify(text)} is too large`, { expected: SIZE_SYNTAX });
  return n;
}

/** "20M", "20M/s", "500K", "20MB/s" → bytes per second (> 0). */
export function parseByteRate(text: string, flag: string): number {
  const m = /^(.*?)(?:\/\s*s)?\s*$/i.exec(text);
  let n: number;
  try {
    n = parseSize(m![1]!, flag);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a rate`, {
      expected: 'bytes per second with a unit: 500K, 20M, 1G, 20MB/s',
    });
  }
  if (n <= 0) throw new UsageError(`${flag} ${JSON.stringify(text)} must be above zero`, { expected: 'a rate like 500K or 20M' });
  return n;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };
const DURATION_SYNTAX = 'a duration: 90 (seconds), 90s, 10m, 2h, 7d, 1w, 1y or 1h30m';

/** "90" → 90, "10m" → 600, "1h30m" → 5400 (seconds, may be fractional: "1.5s"). */
export function parseDuration(text: string, flag: string): number {
  const s = text.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s);
  const re = /([0-9]+(?:\.[0-9]+)?)([smhdwy])/gy;
  let total = 0;
  let used = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    used = re.lastIndex;
  }
  if (s === '' || used !== s.length || !Number.isFinite(total)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration`, { expected: DURATION_SYNTAX });
  }
  return total;
}

/** An integer flag in [min, max] (oclif's integer flags stop at 2^53 and print 1e20; this names the flag). */
export function parseCount(text: string, flag: string, min: number, max: number): number {
  const s = text.trim();
  const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is out of range`, { expected: `an integer from ${min} to ${max}` });
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Formatting (reports).

/** 1 → "1 file", 2 → "2 files"; irregular plurals given explicitly. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${groupThousands(n)} ${n === 1 ? one : many}`;
}

/**
 * 1234567 → "1,234,567", as toLocaleString('en-US') prints it, without Intl for integers: its first
 * use loads locale data (~40 ms), and flag descriptions are built at every start of the CLI.
 */
export function groupThousands(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 || Object.is(n, -0) ? `-${digits}` : digits;
}

/** Bytes per second → "20.0 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** "90%" → 0.9, "12.5 %" → 0.125; a bare number is refused (is 1 one percent or all of it?). */
export function parsePercent(text: string, flag: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(text);
  const v = m === null ? NaN : Number(m[1]) / 100;
  if (m === null)
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a percentage`, { expected: 'a percentage with its sign, like 90%' });
  if (!(v > 0 && v <= 1))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is out of range`, { expected: 'a percentage above 0% and at most 100%' });
  return v;
}
