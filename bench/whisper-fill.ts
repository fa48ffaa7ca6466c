// Fill throughput, one bench row per tool (bench protocol: NDJSON rows on stdout, progress on stderr).
// Realistic pairs: layout 10s:6h,1m:7d,10m:5y (3.3 MB per file), metric two years old, src complete, dst
// a replica (+0.5) with 5 outages across the archives (some slots zero, some stale) and 3 single-slot
// holes. Every fill runs on a fresh copy of dst (copied and fsynced outside the timing, so a fill's
// fdatasync flushes only its own writes, as on a real node), files in page cache. Side by side:
//   - `ringshift whisper fill --batch` (one process for all pairs, each with flock + fdatasync),
//   - `ringshift whisper fill SRC DST`, one process per pair (what a shell loop or xargs costs),
//   - the library in process (fillGaps; without fdatasync; without lock; --compat carbonate; merge),
//   - peers, one process per pair: bucky-fill (Go; `bucky-fill` on PATH or BUCKY_FILL=/path), whisper's own
//     /usr/bin/whisper-fill (python3-whisper; the gap fill carbonate's whisper-fill derives from) and
//     carbonate's whisper-fill (CARBONATE_DIR=/path/to/carbonate checkout, with python3-whisper).
// The corpus is built for the current clock (so peers that cannot pin a clock, bucky-fill, see the same
// windows) and every tool that can is pinned to it (RINGSHIFT_NOW; time.time() for Python).
// Run after `npm run build`:  node dist/bench/whisper-fill.js [--pairs 100] [--cli 20] [--peer-runs 20]
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/seeded-random.js';
import { carbonateFill } from '../src/whisper/compat-carbonate.js';
import { fillGaps } from '../src/whisper/fill-gaps.js';
import { POINT_SIZE, alignDown, archiveWindow, encodeHeader, slotOf } from '../src/whisper/file-format.js';
import { merge } from '../src/whisper/merge.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > 100000) throw new Error(`${name} wants an integer from 1 to 100000`);
  return v;
}
const PAIRS = arg('--pairs', 100);
const CLI_RUNS = arg('--cli', 20);
const PEER_RUNS = arg('--peer-runs', 20);
const LAYOUT: [number, number][] = [
  [10, 2160],
  [60, 10080],
  [600, 262800],
];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = '/tmp/ringshift-bench/whisper-fill';
const BENCH = 'whisper-fill';
const CASE_LAYOUT = '10s:6h,1m:7d,10m:5y';
/** The corpus clock: reused while it is less than 10 minutes old, else the corpus is rebuilt. */
const NOW = corpusClock();

function corpusClock(): number {
  const marker = join(OUT, 'now');
  const real = Math.floor(Date.now() / 1000);
  try {
    const [now, pairs] = readFileSync(marker, 'utf8').split(' ').map(Number);
    if (real - now! < 600 && pairs! >= PAIRS) return now!;
  } catch {
    // no corpus yet
  }
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(marker, `${real} ${PAIRS}`);
  return real;
}

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
}

function stats(times: number[]): Stats {
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    perSec: (times.length * 1000) / total,
    median: sorted[Math.floor(sorted.length / 2)]!,
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!,
  };
}

function row(tool: string, count: number, value: number | null, note: string): void {
  const c = `${count} pairs ${CASE_LAYOUT} (3.3 MB/file), page cache`;
  process.stdout.write(JSON.stringify({ bench: BENCH, case: c, tool, metric: 'files/s', value, better: 'higher', note }) + '\n');
}

function statsRow(tool: string, count: number, s: Stats, note: string): void {
  row(
    tool,
    count,
    Math.round(s.perSec * 10) / 10,
    `${note}${note ? '; ' : ''}median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`,
  );
}

/** A fresh copy of dst, already on disk: a fill's fdatasync must not pay for writing back the copy. */
function freshCopy(from: string, to: string): void {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

async function measure(pairs: { src: string; dst: string }[], run: (src: string, dst: string) => Promise<unknown>): Promise<Stats> {
  const work = join(OUT, 'work.wsp');
  const times: number[] = [];
  for (const p of pairs) {
    freshCopy(p.dst, work);
    const t0 = process.hrtime.bigint();
    await run(p.src, work);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(times);
}

/** One process per pair: `argv(src, dst)` → [command, ...args]; a failure makes the row "not available". */
function measureProcesses(
  pairs: { src: string; dst: string }[],
  argv: (src: string, dst: string) => string[],
  env: NodeJS.ProcessEnv,
): Stats | string {
  const work = join(OUT, 'work.wsp');
  const times: number[] = [];
  for (const p of pairs) {
    freshCopy(p.dst, work);
    const [cmd, ...rest] = argv(p.src, work);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd!, rest, { env, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.error || r.status !== 0) return `failed: ${(r.error?.message ?? r.stderr).trim().split('\n').pop()}`;
  }
  return stats(times);
}

/** Python with time.time() pinned to NOW, running a script or a snippet. */
const PY_WRAPPER = `import sys, time, runpy\nnow = float(sys.argv[1])\ntime.time = lambda: now\nsys.argv = sys.argv[2:]\nrunpy.run_path(sys.argv[0], run_name='__main__')`;
const PY_CARBONATE = `import sys, time\nnow = float(sys.argv[1])\ntime.time = lambda: now\nsys.path.insert(0, sys.argv[2])\nfrom carbonate.cli import whisper_fill\nsys.argv = ['whisper-fill'] + sys.argv[3:]\nwhisper_fill()`;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const pairs = Array.from({ length: PAIRS }, (_, k) => makePair(k));
  const size = statSync(pairs[0]!.src).size;
  process.stderr.write(
    `whisper-fill: ${PAIRS} pairs, ${(size / 1e6).toFixed(2)} MB per file, ${CASE_LAYOUT}, now=${NOW} (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s), node ${process.version}\n`,
  );
  const env = { ...process.env, RINGSHIFT_NOW: String(NOW) };
  const bin = join(ROOT, 'bin/run.js');

  // The batch: all pairs in one process, fresh fsynced copies prepared first.
  process.stderr.write('whisper-fill: ringshift whisper fill --batch\n');
  const lines: string[] = [];
  for (const [k, p] of pairs.entries()) {
    const work = join(OUT, `batch-${k}.wsp`);
    freshCopy(p.dst, work);
    lines.push(`${p.src}\t${work}`);
  }
  writeFileSync(join(OUT, 'pairs.tsv'), lines.join('\n') + '\n');
  const tb = process.hrtime.bigint();
  const batch = spawnSync(process.execPath, [bin, 'whisper', 'fill', '--batch', join(OUT, 'pairs.tsv'), '--json'], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const batchMs = Number(process.hrtime.bigint() - tb) / 1e6;
  if (batch.status !== 0) throw new Error(`ringshift whisper fill --batch failed: ${batch.stderr}`);
  const filled = batch.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { total: number });
  row(
    'ringshift whisper fill --batch',
    PAIRS,
    Math.round(((PAIRS * 1000) / batchMs) * 10) / 10,
    `one process (node + oclif start included), flock + fdatasync per pair; ${(filled.reduce((n, r) => n + r.total, 0) / PAIRS).toFixed(0)} slots/pair; target >= 80 (2x bucky-fill's 39/s)`,
  );

  process.stderr.write(`whisper-fill: ringshift whisper fill, one process per pair (${CLI_RUNS})\n`);
  const cli = measureProcesses(pairs.slice(0, CLI_RUNS), (s, d) => [process.execPath, bin, 'whisper', 'fill', s, d, '--json'], env);
  if (typeof cli === 'string') row('ringshift whisper fill (one process per pair)', CLI_RUNS, null, cli);
  else statsRow('ringshift whisper fill (one process per pair)', CLI_RUNS, cli, 'node + oclif start each time');

  process.stderr.write('whisper-fill: library rows\n');
  await measure(pairs.slice(0, 5), (s, d) => fillGaps(s, d, { now: NOW })); // warm-up
  statsRow(
    'ringshift fillGaps (library)',
    PAIRS,
    await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW })),
    'in process, flock + fdatasync',
  );
  statsRow(
    'ringshift fillGaps (library, no fdatasync)',
    PAIRS,
    await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW, sync: false })),
    'cost of fdatasync',
  );
  statsRow(
    'ringshift fillGaps (library, no lock, no fdatasync)',
    PAIRS,
    await measure(pairs, (s, d) => fillGaps(s, d, { now: NOW, lock: false, sync: false })),
    'CPU + page cache',
  );
  statsRow(
    'ringshift carbonateFill (library)',
    PAIRS,
    await measure(pairs, (s, d) => carbonateFill(s, d, { now: NOW })),
    '--compat carbonate',
  );
  const mergePairs = pairs.slice(0, Math.min(30, PAIRS));
  statsRow('ringshift merge (library)', mergePairs.length, await measure(mergePairs, (s, d) => merge(s, d, { now: NOW })), '');

  const peerPairs = pairs.slice(0, PEER_RUNS);
  const bucky = process.env.BUCKY_FILL ?? onPath('bucky-fill');
  if (bucky === undefined)
    row('bucky-fill (one process per pair)', PEER_RUNS, null, 'not available: no bucky-fill on PATH and BUCKY_FILL not set');
  else {
    process.stderr.write(`whisper-fill: bucky-fill (${bucky})\n`);
    const r = measureProcesses(peerPairs, (s, d) => [bucky, s, d], process.env);
    if (typeof r === 'string') row('bucky-fill (one process per pair)', PEER_RUNS, null, `not available: ${r}`);
    else statsRow('bucky-fill (one process per pair)', PEER_RUNS, r, 'real clock (cannot be pinned), corpus built for it');
  }

  const py = '/usr/bin/python3';
  if (!existsSync('/usr/bin/whisper-fill') || !existsSync(py)) {
    row(
      'whisper-fill.py (python3-whisper, one process per pair)',
      PEER_RUNS,
      null,
      'not available: /usr/bin/whisper-fill missing (apt-get install python3-whisper)',
    );
  } else {
    process.stderr.write('whisper-fill: /usr/bin/whisper-fill\n');
    const r = measureProcesses(
      peerPairs,
      (s, d) => [py, '-c', PY_WRAPPER, String(NOW), '/usr/bin/whisper-fill', '--lock', s, d],
      process.env,
    );
    if (typeof r === 'string') row('whisper-fill.py (python3-whisper, one process per pair)', PEER_RUNS, null, `not available: ${r}`);
    else statsRow('whisper-fill.py (python3-whisper, one process per pair)', PEER_RUNS, r, 'with --lock; no fsync; python start each time');
  }

  const carbonate = process.env.CARBONATE_DIR;
  if (carbonate === undefined)
    row('carbonate whisper-fill (one process per pair)', PEER_RUNS, null, 'not available: CARBONATE_DIR not set');
  else {
    process.stderr.write(`whisper-fill: carbonate whisper-fill (${carbonate})\n`);
    const r = measureProcesses(peerPairs, (s, d) => [py, '-c', PY_CARBONATE, String(NOW), carbonate, s, d], process.env);
    if (typeof r === 'string') row('carbonate whisper-fill (one process per pair)', PEER_RUNS, null, `not available: ${r}`);
    else statsRow('carbonate whisper-fill (one process per pair)', PEER_RUNS, r, 'python start each time');
  }
}

await main();
