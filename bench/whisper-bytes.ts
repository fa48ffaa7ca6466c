// Bench fixture: whisper files whose every slot holds a point (no sparse or zero pages to skip), as a
// metric older than its retention has; values vary with the seed.
import { encodeHeader, POINT_SIZE } from '../src/whisper/file-format.js';

/** (seconds per point, points) of each archive. */
export type Layout = [number, number][];

/** Realistic layouts: 10s:6h,1m:7d,10m:5y (3.3 MB); 1m:7d,1h:1y (226 KB); 1m:12h,1h:7d (10.7 KB). */
export const LAYOUT_3MB: Layout = [
  [10, 2160],
  [60, 10080],
  [600, 262800],
];
export const LAYOUT_226KB: Layout = [
  [60, 10080],
  [3600, 8760],
];
export const LAYOUT_10KB: Layout = [
  [60, 720],
  [3600, 168],
];

/** The bytes of a full whisper file with `layout`, its newest points at `now`. */
export function fullWhisperFile(layout: Layout, seed: number, now: number): Buffer {
  const header = encodeHeader(1, 0.5, layout);
  const buf = Buffer.alloc(header.length + layout.reduce((n, [, p]) => n + p * POINT_SIZE, 0));
  header.copy(buf);
  let at = header.length;
  for (const [s, p] of layout) {
    const base = now - (now % s) - (p - 1) * s;
    for (let k = 0; k < p; k++, at += POINT_SIZE) {
      buf.writeUInt32BE(base + k * s, at);
      buf.writeDoubleBE(Math.round(Math.sin(seed + k / 97) * 1e6) / 1e3, at + 4);
    }
  }
  return buf;
}
