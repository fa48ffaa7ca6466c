// The whisper file format (whisper-spec.md §1): big-endian header, archive-info records, then the
// archives' point arrays. Pure data definitions and arithmetic helpers, no I/O.

export const METADATA_SIZE = 16;
export const ARCHIVE_INFO_SIZE = 12;
export const POINT_SIZE = 12;
/** Timestamps are u32 on disk. */
export const MAX_TIMESTAMP = 0xffffffff;

/** Aggregation methods by on-disk code 1..8 (index 0 unused). */
export const AGGREGATION_METHODS = ['', 'average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'] as const;
export type AggregationMethod = Exclude<(typeof AGGREGATION_METHODS)[number], ''>;

export function aggregationCode(method: string): number {
  const i = (AGGREGATION_METHODS as readonly string[]).indexOf(method);
  return i >= 1 ? i : -1;
}

export interface ArchiveInfo {
  index: number;
  /** Absolute byte offset of slot 0. */
  offset: number;
  secondsPerPoint: number;
  points: number;
  /** secondsPerPoint × points */
  retention: number;
  /** 12 × points */
  size: number;
}

export interface Header {
  aggregationType: number;
  aggregationMethod: AggregationMethod;
  maxRetention: number;
  /** The stored float32 widened to double (0.1 reads as 0.10000000149011612), as whisper compares it. */
  xFilesFactor: number;
  archives: ArchiveInfo[];
  /** 16 + 12 × archiveCount */
  headerSize: number;
}

/** whisper.info()'s dict (whisper-info.py adds fileSize). */
export interface WhisperInfo {
  aggregationMethod: AggregationMethod;
  maxRetention: number;
  xFilesFactor: number;
  archives: { offset: number; secondsPerPoint: number; points: number; retention: number; size: number }[];
}

export function toInfo(h: Header): WhisperInfo {
  return {
    aggregationMethod: h.aggregationMethod,
    maxRetention: h.maxRetention,
    xFilesFactor: h.xFilesFactor,
    archives: h.archives.map((a) => ({
      offset: a.offset,
      secondsPerPoint: a.secondsPerPoint,
      points: a.points,
      retention: a.retention,
      size: a.size,
    })),
  };
}

/** Python's `x % m` for m > 0: always in [0, m). */
export function pmod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}

/** Align down to the step with floor semantics (whisper's `t - (t % step)`). */
export function alignDown(t: number, step: number): number {
  return t - pmod(t, step);
}

/** Slot index of an aligned interval in a ring whose slot 0 holds `base`. */
export function slotOf(interval: number, base: number, step: number, points: number): number {
  return pmod(Math.floor((interval - base) / step), points);
}

/**
 * Timestamps a whisper fetch of the whole archive can return at `now`: [w0, w1) with
 * w0 = floor(now − retention) + step, w1 = floor(now) + step.
 */
export function archiveWindow(a: { secondsPerPoint: number; retention: number }, now: number): [number, number] {
  const s = a.secondsPerPoint;
  return [alignDown(now - a.retention, s) + s, alignDown(now, s) + s];
}

/** Human form of an archive, e.g. "10s:6h" (the largest unit that divides evenly). */
export function retentionString(a: { secondsPerPoint: number; retention: number }): string {
  return `${durationString(a.secondsPerPoint)}:${durationString(a.retention)}`;
}

export function durationString(seconds: number): string {
  const units: [string, number][] = [
    ['y', 365 * 86400],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ];
  for (const [u, n] of units) if (seconds >= n && seconds % n === 0) return `${seconds / n}${u}`;
  return `${seconds}s`;
}

/** Encode a header (metadata + archive-info records) for a list of (secondsPerPoint, points). */
export function encodeHeader(aggregationType: number, xFilesFactor: number, archives: readonly (readonly [number, number])[]): Buffer {
  const headerSize = METADATA_SIZE + ARCHIVE_INFO_SIZE * archives.length;
  const buf = Buffer.alloc(headerSize);
  const maxRetention = Math.max(...archives.map(([s, p]) => s * p));
  buf.writeUInt32BE(aggregationType, 0);
  buf.writeUInt32BE(maxRetention, 4);
  buf.writeFloatBE(xFilesFactor, 8);
  buf.writeUInt32BE(archives.length, 12);
  let offset = headerSize;
  archives.forEach(([s, p], i) => {
    const at = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    buf.writeUInt32BE(offset, at);
    buf.writeUInt32BE(s, at + 4);
    buf.writeUInt32BE(p, at + 8);
    offset += p * POINT_SIZE;
  });
  return buf;
}
