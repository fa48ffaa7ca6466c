// The runbook's verify: every point an old holder has is at the new owner — the same timestamp in the
// owner's equal-step archive — or was superseded there (the owner holds that timestamp with another
// value: a newer write by the relay, counted as replica divergence, not as a loss). Points older than
// the owner's archive window (it keeps less) are not expected there. Both files are read under a
// shared flock, so a carbon-cache write never tears what is compared.
import * as fs from 'node:fs';
import { POINT_SIZE, archiveWindow, slotOf } from '../whisper/file-format.js';
import { preadUpTo, readHeader } from '../whisper/header.js';
import { lockAll } from '../whisper/lock.js';
import type { WhisperImage } from '../whisper/pair.js';

export interface PairVerdict {
  /** The owner's file does not exist. */
  destMissing: boolean;
  /** Points of the source inside the owner's windows. */
  points: number;
  missing: number;
  superseded: number;
  /** The oldest missing timestamp. */
  firstMissing: number | null;
}

/** Compare `src` (an old holder) with `dst` (its new owner) at `now`, points before `until`; null when the source is gone. */
export async function verifyPair(
  src: string,
  dst: string,
  now: number,
  until = Infinity,
  lockTimeoutMs = 10_000,
): Promise<PairVerdict | null> {
  let sfd: number;
  try {
    sfd = fs.openSync(src, 'r');
  } catch {
    return null;
  }
  let dfd = -1;
  try {
    try {
      dfd = fs.openSync(dst, 'r');
    } catch {
      return { destMissing: true, points: 0, missing: 0, superseded: 0, firstMissing: null };
    }
    await lockAll(
      [
        { fd: sfd, path: src, mode: 'sh' },
        { fd: dfd, path: dst, mode: 'sh' },
      ],
      lockTimeoutMs,
    );
    return compareImages({ path: src, data: fs.readFileSync(sfd) }, { path: dst, data: fs.readFileSync(dfd) }, now, until);
  } finally {
    fs.closeSync(sfd);
    if (dfd >= 0) fs.closeSync(dfd);
  }
}

/** The comparison itself, on two whole files in memory (read by whichever driver holds them). */
export function compareImages(src: WhisperImage, dst: WhisperImage, now: number, until = Infinity): PairVerdict {
  const sImg = src.data;
  const dImg = dst.data;
  const sh = readHeader(sImg, sImg.length, src.path);
  const dh = readHeader(dImg, dImg.length, dst.path);
  const v: PairVerdict = { destMissing: false, points: 0, missing: 0, superseded: 0, firstMissing: null };
  for (const a of sh.archives) {
    const d = dh.archives.find((x) => x.secondsPerPoint === a.secondsPerPoint);
    if (d === undefined) continue;
    const [s0, s1] = archiveWindow(a, now);
    const [d0, d1] = archiveWindow(d, now);
    const dbase = dImg.readUInt32BE(d.offset);
    for (let i = 0; i < a.points; i++) {
      const at = a.offset + i * POINT_SIZE;
      const t = sImg.readUInt32BE(at);
      if (t === 0 || t < s0 || t >= s1 || t < d0 || t >= d1 || t >= until) continue;
      v.points++;
      const dat = dbase === 0 ? -1 : d.offset + slotOf(t, dbase, d.secondsPerPoint, d.points) * POINT_SIZE;
      if (dat < 0 || dImg.readUInt32BE(dat) !== t) {
        v.missing++;
        if (v.firstMissing === null || t < v.firstMissing) v.firstMissing = t;
      } else if (!preadUpTo(sImg, 8, at + 4).equals(preadUpTo(dImg, 8, dat + 4))) v.superseded++;
    }
  }
  return v;
}
