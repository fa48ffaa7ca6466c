// Gap-only fill throughput on realistic pairs: layout 10s:6h,1m:7d,10m:5y (3.3 MB per file), metric two
// years old, src complete, dst a replica (+0.5) with 5 outages across the archives (some slots zero,
// some stale) and 3 single-slot holes. Each fill runs on a fresh copy of dst (copied and fsynced
// outside the timing, so the fill's fdatasync flushes only its own writes, as on a real node), files
// in page cache, one process. Side by side: the same fill without lock/fdatasync, the
// carbonate-compatible fill and whisper-merge on the same pairs (same language, same I/O layer), and
// the upstream anchors measured on this machine kind (whisper-spec.md §13). Run after `npm run build`:
//   node dist/bench/whisper-fill.js [pairs=200] [--cli N]   (--cli: also N fills as one process each)
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/seeded-random.js';
import { carbonateFill } from '../src/whisper/compat-carbonate.js';
import { fillGaps, type FillReport } from '../src/whisper/fill-gaps.js';
import { encodeHeader, POINT_SIZE, alignDown, archiveWindow, slotOf } from '../src/whisper/format.js';
import { merge } from '../src/whisper/merge.js';
import { startBench } from './rows.js';

const args = process.argv.slice(2);
const cliAt = args.indexOf('--cli');
const CLI_RUNS = cliAt >= 0 ? Number(args[cliAt + 1] ?? 20) : 0;
const PAIRS = Number(args.find((a, i) => /^[0-9]+$/.test(a) && args[i - 1] !== '--cli') ?? 200);
const NOW = 1700000007;
const LAYOUT: [number, number][] = [
  [10, 2160],
  [60, 10080],
  [600, 262800],
];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'bench/out/whisper-fill');

/** One file as whisper would hold it after continuous writes since `start` (rings rotated randomly). */
function buildFile(
  rnd: () => number,
  start: number,
  valueAt: (t: number) => number,
  hole: (t: number, archive: number) => 'zero' | 'stale' | null,
): Buffer {
  const header = encodeHeader(1, 0.5, LAYOUT);
  const size = header.length + LAYOUT.reduce((n, [, p]) => n + p * POINT_SIZE, 0);
  const buf = Buffer.alloc(size);
  header.copy(buf);
  let offset = header.length;
  LAYOUT.forEach(([s, p], i) => {
    const [w0, w1] = archiveWindow({ secondsPerPoint: s, retention: s * p }, NOW);
    const first = Math.max(w0, alignDown(start, s) + s);
    const base = first + Math.floor(rnd() * ((w1 - first) / s)) * s;
    for (let t = first; t < w1; t += s) {
      const kind = hole(t, i);
      const at = offset + slotOf(t, base, s, p) * POINT_SIZE;
      if (kind === 'zero') continue;
      buf.writeUInt32BE(kind === 'stale' ? t - s * p : t, at);
      buf.writeDoubleBE(kind === 'stale' ? rnd() * 100 : valueAt(t), at + 4);
    }
    // Slot 0 must hold a point (whisper writes it first); if a hole landed there, keep the point.
    if (buf.readUInt32BE(offset) === 0) {
      buf.writeUInt32BE(base, offset);
      buf.writeDoubleBE(valueAt(base), offset + 4);
    }
    offset += p * POINT_SIZE;
  });
  return buf;
}

function makePair(k: number): { src: string; dst: string } {
  const src = join(OUT, `src-${k}.wsp`);
  const dst = join(OUT, `dst-${k}.wsp`);
  if (existsSync(src) && existsSync(dst)) return { src, dst };
  const rnd = mulberry32(7919 * (k + 1));
  const start = NOW - 2 * 365 * 86400 - Math.floor(rnd() * 86400);
  const phase = rnd() * 1000;
  const valueAt = (t: number) => Math.round((100 + 40 * Math.sin((t + phase) / 7200) + ((t * 2654435761) % 97) / 10) * 100) / 100;
  writeFileSync(
    src,
    buildFile(rnd, start, valueAt, () => null),
  );
  // Outages by age (seconds), jittered per pair; then single-slot holes, one per archive.
  const day = 86400;
  const outages = [
    [2 * 3600, 20 * 60],
    [3 * day, 6 * 3600],
    [20 * day, 2 * day],
    [200 * day, 3 * day],
    [500 * day, 10 * day],
  ].map(([age, len]) => {
    const a = age! + Math.floor(rnd() * 3600);
    return [NOW - a - len!, NOW - a] as const;
  });
  const singles = [
    NOW - 1000 - Math.floor(rnd() * 5000),
    NOW - 2 * day - Math.floor(rnd() * day),
    NOW - 100 * day - Math.floor(rnd() * 10 * day),
  ];
  const steps = LAYOUT.map(([s]) => s);
  writeFileSync(
    dst,
    buildFile(
      rnd,
      start,
      (t) => valueAt(t) + 0.5,
      (t, i) => {
        for (const [a, b] of outages) if (t >= a && t < b) return (t / steps[i]!) % 3 === 0 ? 'stale' : 'zero';
        if (alignDown(singles[i]!, steps[i]!) === t) return 'zero';
        return null;
      },
    ),
  );
  return { src, dst };
}

interface Stats {
  perSec: number;
  median: number;
  p95: number;
  filled: number;
}

/** A fresh copy of dst, already on disk: our fdatasync must not pay for writing back the copy. */
function freshCopy(from: string, to: string): void {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

async function measure(pairs: { src: string; dst: string }[], run: (src: string, dst: string) => Promise<FillReport>): Promise<Stats> {
  const work = join(OUT, 'work.wsp');
  const times: number[] = [];
  let filled = 0;
  for (const p of pairs) {
    freshCopy(p.dst, work);
    const t0 = process.hrtime.bigint();
    const r = await run(p.src, work);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    filled += r.total;
  }
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    perSec: (pairs.length * 1000) / total,
    median: sorted[Math.floor(sorted.length / 2)]!,
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!,
    filled: filled / pairs.length,
  };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  const pairs = Array.from({ length: PAIRS }, (_, k) => makePair(k));
  const size = statSync(pairs[0]!.src).size;
  console.log(
    `corpus: ${PAIRS} pairs, ${(size / 1e6).toFixed(2)} MB per file, 10s:6h,1m:7d,10m:5y (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  console.log(`node ${process.version}, now=${NOW}; each fill on a fresh, fsynced copy of dst (copy excluded), one process\n`);

  await measure(pairs.slice(0, 10), (s, d) => fillGaps(s, d, { now: NOW })); // warm-up
  const w = 58;
  console.log(`${'run'.padEnd(w)}  files/s   median ms  p95 ms  slots/pair  note`);
  const rows = {
    push([name, s, note]: [string, Stats, string]): void {
      emitFillRow(name, s, note);
      const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
      console.log(
        `${name.padEnd(w)}  ${f(s.perSec).padStart(7)}  ${f(s.median, 2).padStart(10)}  ${f(s.p95, 2).padStart(6)}  ${f(s.filled, 0).padStart(10)}  ${note}`,
      );
    },
  };
  rows.push(['ringshift fill (gap-only, flock + fdatasync)', await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW })), 'target >= 85']);
  rows.push([
    'ringshift fill, flock, no fdatasync',
    await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW, sync: false })),
    'cost of fdatasync',
  ]);
  rows.push([
    'ringshift fill, --no-lock, no fdatasync',
    await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW, lock: false, sync: false })),
    'CPU + page cache',
  ]);
  rows.push(['ringshift fill --compat carbonate', await measure(pairs, (s, d) => carbonateFill(s, d, { now: NOW })), 'same I/O layer']);
  const mergePairs = pairs.slice(0, Math.min(50, pairs.length));
  rows.push([`ringshift merge (${mergePairs.length} pairs)`, await measure(mergePairs, (s, d) => merge(s, d, { now: NOW })), '']);

  if (CLI_RUNS > 0) {
    const bin = join(ROOT, 'bin/run.js');
    const work = join(OUT, 'work.wsp');
    const times: number[] = [];
    for (const p of pairs.slice(0, CLI_RUNS)) {
      freshCopy(p.dst, work);
      const t = process.hrtime.bigint();
      execFileSync(process.execPath, [bin, 'whisper', 'fill', p.src, work, '--json'], {
        env: { ...process.env, RINGSHIFT_NOW: String(NOW) },
      });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const sorted = [...times].sort((a, b) => a - b);
    rows.push([
      `ringshift whisper fill, one process per pair (${CLI_RUNS})`,
      {
        perSec: (CLI_RUNS * 1000) / times.reduce((a, b) => a + b, 0),
        median: sorted[Math.floor(CLI_RUNS / 2)]!,
        p95: sorted[Math.floor(CLI_RUNS * 0.95)]!,
        filled: NaN,
      },
      'includes node + oclif start',
    ]);
  }
  rows.push([
    'anchor: carbonate fill_archives, one Python process',
    { perSec: 13.1, median: 75, p95: 88, filled: NaN },
    'whisper-spec.md §13',
  ]);
  rows.push(['anchor: bucky-fill (Go), one process per pair', { perSec: 43, median: 22, p95: NaN, filled: NaN }, 'whisper-spec.md §13']);
}

const out = startBench('whisper-fill');
await main();

/** Rows: every fill variant of one case; the anchors are peers this bench does not run. */
function emitFillRow(name: string, s: Stats, note: string): void {
  const c = `fill one pair, ${PAIRS} pairs of 3.3 MB files (10s:6h,1m:7d,10m:5y)`;
  if (name.startsWith('anchor: ')) {
    out.notAvailable(
      { case: c, tool: name.slice('anchor: '.length), metric: 'files/s', better: 'higher' },
      `not run by this bench (anchor: ${s.perSec} files/s, ${note})`,
    );
    return;
  }
  const median = Number.isFinite(s.median) ? `median ${s.median.toFixed(2)} ms` : '';
  out.row({ case: c, tool: name, metric: 'files/s', value: s.perSec, better: 'higher', note: [median, note].filter(Boolean).join('; ') });
}
