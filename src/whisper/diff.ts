// whisper.diff (whisper-diff.py): compare two files with the same archive layout, archive by archive from
// the finest, each over (now − retention, until] where until shrinks to the previous archive's start, so
// each archive compares the older span the finer ones do not cover. A point differs when the two values
// differ as Python compares them: NaN differs from everything (itself too), -0.0 equals 0.0, a missing
// point differs from a present one. Both files are only read.
import { WhisperError } from './errors.js';
import { archiveFetch } from './fetch.js';
import { WhisperFile } from './file.js';
import { retentionString } from './file-format.js';

export interface DiffOptions {
  /** The clock (integer seconds). */
  now: number;
  /** Only compare points both files hold (whisper-diff --ignore-empty). */
  ignoreEmpty?: boolean | undefined;
  /** Newest time compared (default now; later times are clamped to now, where whisper-diff crashes). */
  until?: number | undefined;
}

/** One differing point: timestamp, value in A, value in B (null = no point). */
export type DiffPoint = [timestamp: number, a: number | null, b: number | null];

export interface ArchiveDiff {
  /** Archive number in retention order (header order for any sound file). */
  archive: number;
  /** Points compared: present in either file (in both with ignoreEmpty). */
  total: number;
  /** The points that differ. */
  points: DiffPoint[];
}

function layout(f: WhisperFile): string {
  return f.header.archives.map((a) => `${retentionString(a)}@${a.offset}`).join(',');
}

/** Compare two open files (whisper's file_diff with an explicit clock). */
export function diffOpen(a: WhisperFile, b: WhisperFile, opts: DiffOptions): ArchiveDiff[] {
  const same =
    a.header.archives.length === b.header.archives.length &&
    a.header.archives.every((x, i) => {
      const y = b.header.archives[i]!;
      return x.offset === y.offset && x.secondsPerPoint === y.secondsPerPoint && x.points === y.points;
    });
  if (!same) {
    throw new WhisperError(
      'LayoutMismatch',
      `archive configurations are unalike (${a.path}: ${layout(a)}; ${b.path}: ${layout(b)}); resize one first`,
      b.path,
    );
  }
  const now = opts.now;
  let until = opts.until === undefined || opts.until === 0 ? now : Math.min(opts.until, now);
  const order = [...a.header.archives].sort((x, y) => x.retention - y.retention);
  return order.map((arch, n) => {
    const start = now - arch.retention;
    const ra = archiveFetch(a, arch.index, start, until);
    const rb = archiveFetch(b, arch.index, start, until);
    const count = Math.floor((ra.end - ra.start) / ra.step);
    const points: DiffPoint[] = [];
    let total = 0;
    for (let s = 0; s < count; s++) {
      const va = ra.values[s] ?? null;
      const vb = rb.values[s] ?? null;
      if (opts.ignoreEmpty ? va === null || vb === null : va === null && vb === null) continue;
      total++;
      if (va !== vb) points.push([ra.start + s * ra.step, va, vb]);
    }
    until = Math.min(start, until);
    return { archive: n, total, points };
  });
}

/** whisper.diff(pathA, pathB) with an explicit clock. */
export function diffFiles(pathA: string, pathB: string, opts: DiffOptions): ArchiveDiff[] {
  const a = WhisperFile.open(pathA);
  try {
    const b = WhisperFile.open(pathB);
    try {
      return diffOpen(a, b, opts);
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}
