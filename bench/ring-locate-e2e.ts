// End-to-end speed of `ringshift ring locate --json` on 1M names (carbon_ch, RF 1, 10 members) next to
// the I/O floor (`cat FILE > /dev/null`), `ring sieve` on the same names, 1M longer names (two MD5
// blocks each), the in-process rates of the string path (ring.locate, JSON lines) and of the byte
// path (cold: first run in a fresh process, as in the CLI; warm), and `ring diff` over 10M names with
// its peak RSS, the names streamed on stdin and read with -f FILE (a file must stay as lean as a pipe).
// Wall and CPU time, best of 5 (the machine may be shared).
// Run after `npm run build`:  node dist/bench/ring-locate-e2e.js [--skip-diff]
// Anchor (same machine kind): carbonate's carbon-sieve on the same 1M names ≈ 200k names/s.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { locateNames, PlacementEncoder } from '../src/ring-output/placements.js';
import { buildRing } from '../src/ring/build.js';
import { parseDestinationList, parseInlineDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { startBench } from './rows.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');
const DIR = '/tmp/ringshift-bench';
const NAMES_1M = `${DIR}/names-1M.txt`;
const NAMES_1M_LONG = `${DIR}/names-1M-long.txt`;
const NAMES_10M_DIFF = `${DIR}/names-10M-diff.txt`;
const MEMBERS = Array.from({ length: 10 }, (_, i) => `cache-${String(i + 1).padStart(2, '0')}.prod.example.net:2004:a`);
const MEMBERS_11 = [...MEMBERS, 'cache-11.prod.example.net:2004:a'];

// Deterministic, realistic-looking names (collectd/statsd style, 30–80 bytes; `long`: 56–119 bytes).
function* generateNames(n: number, seed = 20240601, long = false): Generator<string> {
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s = (s ^ (s >>> 12)) >>> 0;
    return s % k;
  };
  const tops = ['servers', 'collectd', 'stats.timers', 'stats.counters', 'app', 'dev.k8s'];
  const dcs = ['dc1', 'dc2', 'eu-west-1', 'us-east-2'];
  const kinds = [
    'cpu.user',
    'cpu.system',
    'memory.used',
    'disk.sda.reads',
    'net.eth0.rx_bytes',
    'load.shortterm',
    'http.requests.p99',
    'queue.depth',
  ];
  const apps = ['checkout-service', 'payments-gateway', 'inventory-sync-worker', 'recommendation-engine'];
  for (let i = 0; i < n; i++) {
    const name = `${tops[rnd(tops.length)]}.${dcs[rnd(dcs.length)]}.host${rnd(5000)}.${kinds[rnd(kinds.length)]}.${i.toString(36)}`;
    yield long ? `${name}.${apps[rnd(apps.length)]}.requests.by_status.2xx`.slice(0, 56 + rnd(64)) : name;
  }
}

function ensureNamesFile(path: string, n: number, long = false, seed = 20240601): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let buf: string[] = [];
  for (const name of generateNames(n, seed, long)) {
    buf.push(name);
    if (buf.length === 65536) {
      writeFileSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length > 0) writeFileSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  renameSync(tmp, path);
}

interface Timing {
  /** Wall-clock seconds. */
  wall: number;
  /** User + system CPU seconds of the child (from /usr/bin/time), NaN when unavailable. */
  cpu: number;
}

/** Run a command with stdout to /dev/null; wall time, and CPU time when /usr/bin/time is there. */
function timeSync(cmd: string, args: string[]): Timing {
  const devnull = openSync('/dev/null', 'w');
  const useTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' })
    : spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(devnull);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

/** Best of `runs` (machines shared with other work are noisy: the fastest run is the least disturbed). */
function best(runs: number, fn: () => Timing): Timing {
  let b: Timing = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < runs; i++) {
    const t = fn();
    if (t.wall < b.wall) b = { wall: t.wall, cpu: b.cpu };
    if (t.cpu < b.cpu) b = { wall: b.wall, cpu: t.cpu };
  }
  return b;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Output that counts bytes and drops them (in-process runs). */
class NullOut extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

/** CPU seconds (user + system) of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
}

async function benchLocate(): Promise<void> {
  ensureNamesFile(NAMES_1M, 1_000_000);
  ensureNamesFile(NAMES_1M_LONG, 1_000_000, true);
  const n = 1_000_000;
  const dests = MEMBERS.join(',');
  const floor = best(5, () => timeSync('cat', [NAMES_1M]));
  const e2e = best(5, () => timeSync(process.execPath, [RUN, 'ring', 'locate', '-f', NAMES_1M, '--json', '--destinations', dests]));
  const e2eLong = best(5, () =>
    timeSync(process.execPath, [RUN, 'ring', 'locate', '-f', NAMES_1M_LONG, '--json', '--destinations', dests]),
  );
  const sieve = best(5, () =>
    timeSync(process.execPath, [RUN, 'ring', 'sieve', '-f', NAMES_1M, '--node', 'cache-03.prod.example.net', '--destinations', dests]),
  );
  const startup = best(5, () => timeSync(process.execPath, [RUN, 'ring', 'locate', '--json', '--destinations', dests, 'x']));

  // In process, string path: lookups alone, and lookups + JSON line encoding.
  const names = readFileSync(NAMES_1M, 'utf8').split('\n');
  names.pop();
  const ring = buildRing(makeRingSpec({ destinations: parseDestinationList(dests, parseInlineDestination) }));
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += ring.locate(names[i]!).owners.length; // warm-up
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < names.length; i++) sink += ring.locate(names[i]!).owners.length;
  const lookupSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const enc = new PlacementEncoder(ring);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < names.length; i++) sink += enc.json(ring.locate(names[i]!)).length;
  const encodeSecs = Number(process.hrtime.bigint() - t0) / 1e9;

  // In process, byte path (file → JSON lines → a null stream): the first run is what the CLI gets.
  const bytePath = async (): Promise<Timing> => {
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    await locateNames(ring, { file: NAMES_1M }, { json: true, out: new NullOut() });
    return { wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuSince(c0) };
  };
  const byteCold = await bytePath();
  let byteWarm: Timing = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < 5; r++) {
    const t = await bytePath();
    byteWarm = { wall: Math.min(byteWarm.wall, t.wall), cpu: Math.min(byteWarm.cpu, t.cpu) };
  }

  const ms = (t: number): string => `${(t * 1000).toFixed(0)} ms`;
  const cpuNote = (t: Timing): string => (Number.isNaN(t.cpu) ? '' : `, ${ms(t.cpu)} CPU`);
  const row = (label: string, t: Timing, extra = ''): void =>
    console.log(
      `  ${label.padEnd(42)} ${ms(t.wall).padStart(8)}  ${fmt(n / t.wall).padStart(11)} names/s  (${fmt(n / t.cpu)} per CPU s${cpuNote(t)})${extra}`,
    );
  console.log(`ring locate --json, carbon_ch, RF 1, 10 members, ${fmt(n)} names (${NAMES_1M}); wall and CPU, best of 5`);
  console.log(`  ${'I/O floor  cat FILE > /dev/null'.padEnd(42)} ${ms(floor.wall).padStart(8)}`);
  row('end to end ring locate -f FILE --json', e2e);
  row('end to end, 56–119-byte names', e2eLong, `  (${NAMES_1M_LONG})`);
  row('end to end ring sieve -f FILE --node N', sieve);
  console.log(`  ${'CLI start alone (one name)'.padEnd(42)} ${ms(startup.wall).padStart(8)}  (${ms(startup.cpu)} CPU)`);
  if (!Number.isNaN(e2e.cpu)) {
    console.log(
      `  ${'locate without the CLI start'.padEnd(42)} ${fmt(n / Math.max(e2e.wall - startup.wall, 1e-9)).padStart(20)} names/s  (${fmt(n / Math.max(e2e.cpu - startup.cpu, 1e-9))} per CPU s)`,
    );
  }
  row('in process: byte path, first run (cold)', byteCold);
  row('in process: byte path, warm', byteWarm);
  console.log(
    `  ${'in process: string path, ring.locate'.padEnd(42)} ${ms(lookupSecs).padStart(8)}  ${fmt(n / lookupSecs).padStart(11)} lookups/s (warm)`,
  );
  console.log(
    `  ${'in process: string path, locate + JSON line'.padEnd(42)} ${ms(encodeSecs).padStart(8)}  ${fmt(n / encodeSecs).padStart(11)} lines/s (warm)`,
  );
  console.log(`  anchor     carbonate carbon-sieve        ≈ 200,000 names/s (same machine kind)`);
  if (sink < 0) console.log(sink);
  emitLocateRows(n, { floor, e2e, e2eLong, sieve, startup, byteCold, byteWarm }, lookupSecs, encodeSecs);
}

interface DiffRun {
  secs: number;
  /** Peak RSS in MiB (from /usr/bin/time -v), null without it. */
  rssMiB: number | null;
  report: { metrics: { total: number; primaryChanged: number }; keyspace: { primaryChanged: number } };
}

/**
 * `ring diff` over `n` names under /usr/bin/time -v for the peak RSS: streamed through stdin (from the
 * generator, as a pipe delivers them) or read with -f FILE (the same names, written once).
 */
async function runDiff(n: number, from: 'stdin' | 'file'): Promise<DiffRun> {
  const src = `destinations=${MEMBERS.join(',')}`;
  const dst = `destinations=${MEMBERS_11.join(',')}`;
  const cli = [RUN, 'ring', 'diff', '--from', src, '--to', dst, '-f', from === 'file' ? NAMES_10M_DIFF : '-', '--json'];
  const useTime = existsSync('/usr/bin/time');
  const child = useTime
    ? spawn('/usr/bin/time', ['-v', process.execPath, ...cli], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, cli, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
  const t0 = process.hrtime.bigint();
  if (from === 'stdin') {
    let buf: string[] = [];
    for (const name of generateNames(n, 777)) {
      buf.push(name);
      if (buf.length === 16384) {
        if (!child.stdin.write(buf.join('\n') + '\n')) await new Promise((r) => child.stdin.once('drain', r));
        buf = [];
      }
    }
    child.stdin.end(buf.length > 0 ? buf.join('\n') + '\n' : '');
  } else {
    child.stdin.end();
  }
  const code = await done;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`ring diff exited with ${code}: ${err}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  return { secs, rssMiB: rss ? Number(rss[1]) / 1024 : null, report: JSON.parse(stdout.trim().split('\n').pop()!) as DiffRun['report'] };
}

async function benchDiff(n: number): Promise<void> {
  ensureNamesFile(NAMES_10M_DIFF, n, false, 777);
  console.log(`ring diff 10 → 11 members over ${fmt(n)} names: streamed on stdin, and read with -f FILE (${NAMES_10M_DIFF})`);
  for (const from of ['stdin', 'file'] as const) {
    const r = await runDiff(n, from);
    const flag = from === 'file' ? '-f FILE' : '-f -';
    emitDiffRows(n, flag, r.secs, r.rssMiB);
    console.log(
      `  ${flag.padEnd(8)} ${r.secs.toFixed(1)} s, ${fmt(n / r.secs)} names/s, peak RSS ${r.rssMiB === null ? 'n/a (no /usr/bin/time)' : `${r.rssMiB.toFixed(0)} MiB`}` +
        `; counted ${fmt(r.report.metrics.total)} names, primary moved ${((r.report.metrics.primaryChanged / r.report.metrics.total) * 100).toFixed(2)} %` +
        ` (keyspace ${(r.report.keyspace.primaryChanged * 100).toFixed(2)} %)`,
    );
  }
}

const out = startBench('ring-locate-e2e');
await benchLocate();
if (!process.argv.includes('--skip-diff')) await benchDiff(10_000_000);

/** Rows: end-to-end `ring locate` next to the I/O floor and carbonate's carbon-sieve (when installed). */
function emitLocateRows(n: number, t: Record<string, Timing>, lookupSecs: number, encodeSecs: number): void {
  const c = `ring locate --json, ${fmt(n)} names, carbon_ch RF 1, 10 members`;
  const rate = (x: Timing): number => n / x.wall;
  const cpu = (x: Timing): string => (Number.isNaN(x.cpu) ? '' : `${fmt(n / x.cpu)} per CPU s`);
  const higher = 'higher' as const;
  out.row({
    case: c,
    tool: 'ringshift ring locate -f FILE --json',
    metric: 'names/s',
    value: rate(t.e2e!),
    better: higher,
    note: cpu(t.e2e!),
  });
  out.row({ case: c, tool: 'ringshift, in process (byte path, first run)', metric: 'names/s', value: rate(t.byteCold!), better: higher });
  out.row({ case: c, tool: 'ringshift, in process (byte path, warm)', metric: 'names/s', value: rate(t.byteWarm!), better: higher });
  out.row({ case: c, tool: 'ringshift, in process (ring.locate only)', metric: 'names/s', value: n / lookupSecs, better: higher });
  out.row({ case: c, tool: 'ringshift, in process (locate + JSON line)', metric: 'names/s', value: n / encodeSecs, better: higher });
  out.row({ case: c, tool: 'cat FILE > /dev/null', metric: 'names/s', value: rate(t.floor!), better: higher, note: 'I/O floor' });
  out.notAvailable(
    { case: c, tool: 'carbonate carbon-sieve', metric: 'names/s', better: higher },
    'not run by this bench (anchor on this machine kind: about 200,000 names/s)',
  );
  out.row({
    case: `ring locate --json, ${fmt(n)} names of 56-119 bytes`,
    tool: 'ringshift ring locate -f FILE --json',
    metric: 'names/s',
    value: rate(t.e2eLong!),
    better: higher,
  });
  out.row({
    case: `ring sieve --node N, ${fmt(n)} names`,
    tool: 'ringshift ring sieve -f FILE --node N',
    metric: 'names/s',
    value: rate(t.sieve!),
    better: higher,
  });
  out.row({ case: 'CLI start (ring locate, one name)', tool: 'ringshift', metric: 'seconds', value: t.startup!.wall, better: 'lower' });
}

/** Rows: the same names from stdin and from a file are one case, so the two sit side by side. */
function emitDiffRows(n: number, flag: string, secs: number, rssMiB: number | null): void {
  const c = `ring diff 10 -> 11 members, ${fmt(n)} names`;
  const tool = `ringshift ring diff ${flag}`;
  out.row({ case: c, tool, metric: 'names/s', value: n / secs, better: 'higher' });
  if (rssMiB === null) out.notAvailable({ case: c, tool, metric: 'MiB RSS', better: 'lower' }, 'no /usr/bin/time');
  else out.row({ case: c, tool, metric: 'MiB RSS', value: rssMiB, better: 'lower' });
}
