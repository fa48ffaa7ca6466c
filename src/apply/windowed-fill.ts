// The backfill's windowed gap-only fill: the same result as the whisper engine's fill_gaps restricted to
// [from, until) (whisper-spec.md §14: only empty slots of dst are written, from src's equal-step
// archive), but reading and writing only the slots inside the window — the engine loads every dst
// archive whole, which for 10s:6h,1m:7d,10m:5y is 3.3 MB per file to fill an hour. The slots of one
// window are one or two positioned reads per archive (the ring may wrap); written points that are
// adjacent go out in one write. Under carbon-cache's flock (dst exclusive, src shared), fdatasynced.
//
// When a dst archive has no src archive of its step whose window covers the fill window (rule 3b:
// aggregating a finer archive), the engine's fillGaps does the work (correct, reads more); the result
// says so.
import * as fs from 'node:fs';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { WhisperError } from '../whisper/errors.js';
import { fillGaps } from '../whisper/fill-gaps.js';
import { MAX_TIMESTAMP, POINT_SIZE, archiveWindow, slotOf, type ArchiveInfo, type Header } from '../whisper/file-format.js';
import { preadUpTo, readHeader } from '../whisper/header.js';
import { lockAll, type LockRequest } from '../whisper/lock.js';
import { structureProblem } from '../whisper/structure.js';

export interface WindowedFillResult {
  /** Slots written. */
  filled: number;
  bytesRead: number;
  bytesWritten: number;
  /** The engine's whole-file fill did it (a layout the window path does not cover). */
  engine: boolean;
}

export interface WindowedFillOptions {
  now: number;
  from: number;
  until: number;
  lockTimeoutMs?: number | undefined;
  /** Compute only. */
  dryRun?: boolean | undefined;
}

class Reader {
  bytes = 0;
  constructor(readonly fd: number) {}
  read(length: number, position: number): Buffer {
    const b = preadUpTo(this.fd, length, position);
    this.bytes += b.length;
    return b;
  }
}

function header(r: Reader, path: string): Header {
  const size = fs.fstatSync(r.fd).size;
  const h = readHeader(r.read(4096, 0), size, path);
  const p = structureProblem(h, size);
  if (p !== null) throw new WhisperError(p.code, p.message, path, p.expected);
  return h;
}

/** Slots of archive `a` for times t0, t0+s, … (count of them), as one buffer (one or two reads); base 0 → null. */
function segment(r: Reader, a: ArchiveInfo, base: number, t0: number, count: number): Buffer {
  const first = slotOf(t0, base, a.secondsPerPoint, a.points);
  const head = Math.min(count, a.points - first);
  const one = r.read(head * POINT_SIZE, a.offset + first * POINT_SIZE);
  if (head === count) return one;
  return Buffer.concat([one, r.read((count - head) * POINT_SIZE, a.offset)]);
}

/** The window of archive `a` clipped to [from, until), on the archive's grid (engine's emptyRuns bounds). */
function bounds(a: ArchiveInfo, now: number, from: number, until: number): [number, number] {
  const s = a.secondsPerPoint;
  const [w0, w1] = archiveWindow(a, now);
  let start = Math.max(w0, s);
  if (from > start) start = Math.ceil(from / s) * s;
  let end = Math.min(w1, MAX_TIMESTAMP + 1);
  if (until < end) end = until;
  if (start >= end) return [0, 0];
  return [start, start + Math.ceil((end - start) / s) * s];
}

/** Fill dst's empty slots in [from, until) from src. Both files must exist. */
export async function windowedFill(srcPath: string, dstPath: string, o: WindowedFillOptions): Promise<WindowedFillResult> {
  const dstFd = openSync(dstPath, o.dryRun === true ? 'r' : 'r+');
  let dstOpen = true;
  let srcFd = -1;
  try {
    srcFd = openSync(srcPath, 'r');
    const reqs: LockRequest[] = [
      { fd: dstFd, path: dstPath, mode: o.dryRun === true ? 'sh' : 'ex' },
      { fd: srcFd, path: srcPath, mode: 'sh' },
    ];
    await lockAll(reqs, o.lockTimeoutMs ?? 10_000);
    const dr = new Reader(dstFd);
    const sr = new Reader(srcFd);
    const dh = header(dr, dstPath);
    const sh = header(sr, srcPath);
    // Every dst archive needs an equal-step src archive whose window starts before the fill window.
    const plans: { a: ArchiveInfo; eq: ArchiveInfo; start: number; end: number }[] = [];
    for (const a of dh.archives) {
      const [start, end] = bounds(a, o.now, o.from, o.until);
      if (start >= end) continue;
      const eq = sh.archives.find((x) => x.secondsPerPoint === a.secondsPerPoint);
      if (eq === undefined || start < archiveWindow(eq, o.now)[0]) {
        closeSync(srcFd);
        srcFd = -1;
        closeSync(dstFd);
        dstOpen = false;
        const r = await fillGaps(srcPath, dstPath, {
          now: o.now,
          from: o.from,
          until: o.until,
          lockTimeoutMs: o.lockTimeoutMs,
          dryRun: o.dryRun,
        });
        const size = fs.statSync(dstPath).size + fs.statSync(srcPath).size;
        return { filled: r.total, bytesRead: size, bytesWritten: r.bytesWritten, engine: true };
      }
      plans.push({ a, eq, start, end });
    }
    let filled = 0;
    let bytesWritten = 0;
    for (const { a, eq, start, end } of plans) {
      const s = a.secondsPerPoint;
      const count = (end - start) / s;
      let base = dr.read(4, a.offset).readUInt32BE(0);
      const dseg = base === 0 ? null : segment(dr, a, base, start, count);
      // Gaps: never written, or an older (stale) timestamp in the slot.
      const gaps: number[] = [];
      for (let k = 0; k < count; k++) {
        const t = start + k * s;
        if (dseg === null || dseg.readUInt32BE(k * POINT_SIZE) < t) gaps.push(k);
      }
      if (gaps.length === 0) continue;
      const sbase = sr.read(4, eq.offset).readUInt32BE(0);
      if (sbase === 0) continue;
      const first = gaps[0]!;
      const last = gaps[gaps.length - 1]!;
      const sseg = segment(sr, eq, sbase, start + first * s, last - first + 1);
      // Points to write, ascending (an empty archive's first point becomes slot 0, as the engine does).
      let runSlot = -1;
      let run: Buffer[] = [];
      const flush = () => {
        if (run.length === 0) return;
        const data = Buffer.concat(run);
        if (o.dryRun !== true) writeSync(dstFd, data, 0, data.length, a.offset + runSlot * POINT_SIZE);
        bytesWritten += o.dryRun === true ? 0 : data.length;
        run = [];
        runSlot = -1;
      };
      for (const k of gaps) {
        const t = start + k * s;
        const at = (k - first) * POINT_SIZE;
        if (sseg.readUInt32BE(at) !== t) continue;
        if (base === 0) base = t;
        const slot = slotOf(t, base, s, a.points);
        if (runSlot >= 0 && slot !== runSlot + run.length) flush();
        if (runSlot < 0) runSlot = slot;
        run.push(sseg.subarray(at, at + POINT_SIZE));
        filled++;
      }
      flush();
    }
    if (bytesWritten > 0) fdatasyncSync(dstFd);
    return { filled, bytesRead: dr.bytes + sr.bytes, bytesWritten, engine: false };
  } finally {
    if (srcFd >= 0) closeSync(srcFd);
    if (dstOpen) closeSync(dstFd);
  }
}
