// Human units for reports: bytes, durations, throughputs and percentages.
import { UsageError } from '../errors.js';

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

const SIZE_FACTORS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "50MiB/s", "100 MB/s", "1GB", "2e7" → bytes per second. */
export function parseThroughput(text: string, flag = '--throughput'): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-z]*)\s*(?:\/\s*s)?\s*$/i.exec(text);
  const factor = m === null ? undefined : SIZE_FACTORS[m[2]!.toLowerCase()];
  const v = m === null ? NaN : Number(m[1]);
  if (factor === undefined || !(v > 0)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a rate`, {
      expected: 'bytes per second like 50MiB/s, 100MB/s or 20000000',
    });
  }
  return v * factor;
}

/** "90", "90%", "0.9" → 0.9. */
export function parseFraction(text: string, flag: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$/.exec(text);
  if (m === null) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a percentage`, { expected: 'a percentage like 90 or 90%' });
  let v = Number(m[1]);
  if (m[2] === '%' || v > 1) v /= 100;
  if (!(v > 0 && v <= 1)) throw new UsageError(`${flag} ${JSON.stringify(text)} is out of range`, { expected: 'a percentage in (0, 100]' });
  return v;
}

export function formatPercent(f: number): string {
  return `${(f * 100).toFixed(1)} %`;
}
