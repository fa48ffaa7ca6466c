// The backfill of a live change or a heal: fill a 1 h window across many files of 10s:6h,1m:7d,10m:5y
// (3.3 MB each), where the destination missed exactly that hour (a node down, or the hour between
// pre-copy and switch). The windowed fill (src/apply/windowed-fill.ts, what `apply --phase backfill` and
// `heal` run) must touch only the window: its bytes read and written are measured by the kernel
// (/proc/self/io rchar/wchar around the loop), beside its time. The peer is the whole-file gap fill a
// user would otherwise run per pair: ringshift's own engine without a window (fillGaps, what `whisper
// fill SRC DST` does) on the same files, and /usr/bin/whisper-fill (python3-whisper) one process per
// pair on a sample. Files are sparse (two days of history, as a young metric has) and in page cache;
// every run fills fresh destinations (rewritten outside the timing).
// Run after `npm run build`:  node dist/bench/backfill.js [--files 10000] [--peer-files 30]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { windowedFill } from '../src/apply/windowed-fill.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { POINT_SIZE, alignDown, archiveWindow, encodeHeader, slotOf } from '../src/whisper/file-format.js';
import { startBench } from './rows.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > 100000) throw new Error(`${name} wants an integer from 1 to 100000`);
  return v;
}
const FILES = arg('--files', 10000);
const PEER_FILES = Math.min(FILES, arg('--peer-files', 30));
const LAYOUT: [number, number][] = [
  [10, 2160],
  [60, 10080],
  [600, 262800],
];
const OUT = '/tmp/ringshift-bench/backfill';
const NOW = Math.floor(Date.now() / 1000);
/** The hour the destination missed: three to two hours ago (inside the 6 h of the finest archive). */
const SINCE = alignDown(NOW - 3 * 3600, 600);
const UNTIL = SINCE + 3600;
const HISTORY = 2 * 86400;
const CASE = `1 h window, ${FILES} files of 10s:6h,1m:7d,10m:5y (3.3 MB each, sparse, 2 days of history)`;
const rows = startBench('backfill');

/** A file's image as [offset, bytes] runs of written slots (and the header), the rest of the file a hole. */
function image(offsetValue: number, lacks: (t: number) => boolean): { size: number; runs: [number, Buffer][] } {
  const header = encodeHeader(1, 0.5, LAYOUT);
  const size = header.length + LAYOUT.reduce((n, [, p]) => n + p * POINT_SIZE, 0);
  const buf = Buffer.alloc(size);
  header.copy(buf);
  let offset = header.length;
  const runs: [number, Buffer][] = [[0, header]];
  for (const [s, p] of LAYOUT) {
    const [w0, w1] = archiveWindow({ secondsPerPoint: s, retention: s * p }, NOW);
    const first = Math.max(w0, alignDown(NOW - HISTORY, s) + s);
    const base = first;
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = first; t < w1; t += s) {
      if (lacks(t)) continue;
      const at = offset + slotOf(t, base, s, p) * POINT_SIZE;
      buf.writeUInt32BE(t, at);
      buf.writeDoubleBE(100 + (t % 977) / 10 + offsetValue, at + 4);
      lo = Math.min(lo, at);
      hi = Math.max(hi, at + POINT_SIZE);
    }
    if (lo < hi) runs.push([lo, buf.subarray(lo, hi)]);
    offset += p * POINT_SIZE;
  }
  return { size, runs };
}

function writeSparse(path: string, img: { size: number; runs: [number, Buffer][] }): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, img.size);
    for (const [at, b] of img.runs) writeSync(fd, b, 0, b.length, at);
  } finally {
    closeSync(fd);
  }
}

/** Bytes this process read and wrote through syscalls so far (page cache included). */
function io(): { read: number; written: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { read: get('rchar'), written: get('wchar') };
}

const SRC = image(0, () => false);
const DST = image(0.5, (t) => t >= SINCE && t < UNTIL);
const src = (k: number) => join(OUT, `src-${k}.wsp`);
const dst = (k: number) => join(OUT, `dst-${k}.wsp`);

function freshDestinations(n: number): void {
  for (let k = 0; k < n; k++) writeSparse(dst(k), DST);
}

async function measure(tool: string, n: number, fill: (s: string, d: string) => Promise<{ filled: number }>, note: string): Promise<void> {
  freshDestinations(n);
  const before = io();
  const t0 = process.hrtime.bigint();
  let slots = 0;
  for (let k = 0; k < n; k++) slots += (await fill(src(k), dst(k))).filled;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = io();
  const read = after.read - before.read;
  const written = after.written - before.written;
  console.log(
    `backfill: ${tool}: ${n} files in ${seconds.toFixed(2)} s, ${slots} slots filled, ${(read / 1e6).toFixed(1)} MB read, ${(written / 1e6).toFixed(2)} MB written`,
  );
  rows.row({ case: CASE, tool, metric: 'files/s', value: n / seconds, better: 'higher', note });
  rows.row({ case: CASE, tool, metric: 'seconds', value: seconds, better: 'lower', note });
  rows.row({ case: CASE, tool, metric: 'MB read per file', value: read / n / 1e6, better: 'lower', note: 'kernel rchar' });
  rows.row({ case: CASE, tool, metric: 'KB written per file', value: written / n / 1e3, better: 'lower', note: 'kernel wchar' });
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  for (let k = 0; k < FILES; k++) writeSparse(src(k), SRC);
  console.log(
    `backfill: ${FILES} source files written in ${((Date.now() - t0) / 1000).toFixed(1)} s; window ${SINCE}..${UNTIL}, now ${NOW}`,
  );

  await measure(
    'ringshift backfill (windowed fill)',
    FILES,
    (s, d) => windowedFill(s, d, { now: NOW, from: SINCE, until: UNTIL }),
    'flock + fdatasync per file, in process',
  );
  // The expected fill: the hour's slots in each archive (360 + 60 + 6 per file).
  await measure(
    'ringshift whisper fill, whole file (fillGaps)',
    FILES,
    async (s, d) => ({ filled: (await fillGaps(s, d, { now: NOW })).total }),
    'flock + fdatasync per file, in process',
  );

  const py = '/usr/bin/python3';
  const tool = 'whisper-fill.py, whole file (python3-whisper, one process per pair)';
  const c = CASE;
  if (!existsSync('/usr/bin/whisper-fill') || !existsSync(py)) {
    rows.notAvailable(
      { case: c, tool, metric: 'files/s', better: 'higher' },
      '/usr/bin/whisper-fill missing (apt-get install python3-whisper)',
    );
    return;
  }
  freshDestinations(PEER_FILES);
  const wrapper = `import sys, time, runpy\nnow = float(sys.argv[1])\ntime.time = lambda: now\nsys.argv = sys.argv[2:]\nrunpy.run_path(sys.argv[0], run_name='__main__')`;
  const p0 = process.hrtime.bigint();
  for (let k = 0; k < PEER_FILES; k++) {
    const r = spawnSync(py, ['-c', wrapper, String(NOW), '/usr/bin/whisper-fill', '--lock', src(k), dst(k)], { encoding: 'utf8' });
    if (r.status !== 0) {
      rows.notAvailable({ case: c, tool, metric: 'files/s', better: 'higher' }, `failed: ${r.stderr.trim().split('\n').pop()}`);
      return;
    }
  }
  const seconds = Number(process.hrtime.bigint() - p0) / 1e9;
  console.log(`backfill: ${tool}: ${PEER_FILES} files in ${seconds.toFixed(2)} s`);
  rows.row({
    case: c,
    tool,
    metric: 'files/s',
    value: PEER_FILES / seconds,
    better: 'higher',
    note: `with --lock; python start each time; measured on ${PEER_FILES} of the files`,
  });
}

await main();
rmSync(OUT, { recursive: true, force: true });
