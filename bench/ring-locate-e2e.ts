// End-to-end speed of `ringshift ring locate --json` on 1M names (carbon_ch, RF 1, 10 members) next to
// the I/O floor (`cat FILE > /dev/null`), the in-process lookup rate, and `ring diff` over 10M streamed
// names with its peak RSS. Run after `npm run build`:  node dist/bench/ring-locate-e2e.js [--skip-diff]
// Anchor (same machine kind): carbonate's carbon-sieve on the same 1M names ≈ 200k names/s.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlacementEncoder } from '../src/ring/analysis/placements.js';
import { buildRing } from '../src/ring/build.js';
import { parseDestinationList, parseInlineDestination } from '../src/ring/destination.js';
import { makeRingSpec } from '../src/ring/spec.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');
const DIR = '/tmp/ringshift-bench';
const NAMES_1M = `${DIR}/names-1M.txt`;
const MEMBERS = Array.from({ length: 10 }, (_, i) => `cache-${String(i + 1).padStart(2, '0')}.prod.example.net:2004:a`);
const MEMBERS_11 = [...MEMBERS, 'cache-11.prod.example.net:2004:a'];

// Deterministic, realistic-looking names (collectd/statsd style, 30–80 bytes).
function* generateNames(n: number, seed = 20240601): Generator<string> {
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s = (s ^ (s >>> 12)) >>> 0;
    return s % k;
  };
  const tops = ['servers', 'collectd', 'stats.timers', 'stats.counters', 'app', 'dev.k8s'];
  const dcs = ['dc1', 'dc2', 'eu-west-1', 'us-east-2'];
  const kinds = ['cpu.user', 'cpu.system', 'memory.used', 'disk.sda.reads', 'net.eth0.rx_bytes', 'load.shortterm', 'http.requests.p99', 'queue.depth'];
  for (let i = 0; i < n; i++) {
    yield `${tops[rnd(tops.length)]}.${dcs[rnd(dcs.length)]}.host${rnd(5000)}.${kinds[rnd(kinds.length)]}.${i.toString(36)}`;
  }
}

function ensureNamesFile(path: string, n: number): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let buf: string[] = [];
  for (const name of generateNames(n)) {
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

function benchLocate(): void {
  ensureNamesFile(NAMES_1M, 1_000_000);
  const n = 1_000_000;
  const floor = best(5, () => timeSync('cat', [NAMES_1M]));
  const args = [RUN, 'ring', 'locate', '-f', NAMES_1M, '--json', '--destinations', MEMBERS.join(',')];
  const e2e = best(5, () => timeSync(process.execPath, args));
  const startup = best(5, () => timeSync(process.execPath, [RUN, 'ring', 'locate', '--json', '--destinations', MEMBERS.join(','), 'x']));

  // In process: lookups alone, and lookups + JSON line encoding.
  const names = readFileSync(NAMES_1M, 'utf8').split('\n');
  names.pop();
  const ring = buildRing(makeRingSpec({ destinations: parseDestinationList(MEMBERS.join(','), parseInlineDestination) }));
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += ring.locate(names[i]!).owners.length; // warm-up
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < names.length; i++) sink += ring.locate(names[i]!).owners.length;
  const lookupSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const enc = new PlacementEncoder(ring);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < names.length; i++) sink += enc.json(ring.locate(names[i]!)).length;
  const encodeSecs = Number(process.hrtime.bigint() - t0) / 1e9;

  console.log(`ring locate --json, carbon_ch, RF 1, 10 members, ${fmt(n)} names (${NAMES_1M})`);
  const cpuNote = (t: Timing): string => (Number.isNaN(t.cpu) ? '' : `, ${(t.cpu * 1000).toFixed(0)} ms CPU`);
  console.log(`  I/O floor  cat FILE > /dev/null        ${(floor.wall * 1000).toFixed(0)} ms   ${fmt(n / floor.wall)} names/s`);
  console.log(
    `  end to end ringshift ring locate -f …    ${(e2e.wall * 1000).toFixed(0)} ms   ${fmt(n / e2e.wall)} names/s` +
      `  (best of 5${cpuNote(e2e)}; CLI start alone ${(startup.wall * 1000).toFixed(0)} ms${cpuNote(startup)})`,
  );
  if (!Number.isNaN(e2e.cpu)) {
    console.log(`  per CPU second                           ${fmt(n / e2e.cpu)} names/s  (${fmt(n / Math.max(e2e.cpu - startup.cpu, 1e-9))} names/s without the CLI start)`);
  }
  console.log(`  in process ring.locate                   ${(lookupSecs * 1000).toFixed(0)} ms   ${fmt(n / lookupSecs)} lookups/s`);
  console.log(`  in process locate + JSON line            ${(encodeSecs * 1000).toFixed(0)} ms   ${fmt(n / encodeSecs)} lines/s`);
  console.log(`  anchor     carbonate carbon-sieve        ≈ 200,000 names/s (same machine kind)`);
  if (sink < 0) console.log(sink);
}

/** `ring diff` over `n` names streamed through stdin, under /usr/bin/time -v for the peak RSS. */
async function benchDiff(n: number): Promise<void> {
  const from = `destinations=${MEMBERS.join(',')}`;
  const to = `destinations=${MEMBERS_11.join(',')}`;
  const cli = [RUN, 'ring', 'diff', '--from', from, '--to', to, '-f', '-', '--json'];
  const useTime = existsSync('/usr/bin/time');
  const child = useTime
    ? spawn('/usr/bin/time', ['-v', process.execPath, ...cli], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, cli, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
  const t0 = process.hrtime.bigint();
  let buf: string[] = [];
  for (const name of generateNames(n, 777)) {
    buf.push(name);
    if (buf.length === 16384) {
      if (!child.stdin.write(buf.join('\n') + '\n')) await new Promise((r) => child.stdin.once('drain', r));
      buf = [];
    }
  }
  child.stdin.end(buf.length > 0 ? buf.join('\n') + '\n' : '');
  const code = await done;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`ring diff exited with ${code}: ${err}`);
  const report = JSON.parse(out.trim().split('\n').pop()!) as { metrics: { total: number; primaryChanged: number }; keyspace: { primaryChanged: number } };
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  console.log(`ring diff 10 → 11 members over ${fmt(n)} names streamed on stdin`);
  console.log(`  ${secs.toFixed(1)} s, ${fmt(n / secs)} names/s, peak RSS ${rss ? `${(Number(rss[1]) / 1024).toFixed(0)} MB` : 'n/a (no /usr/bin/time)'}`);
  console.log(
    `  counted ${fmt(report.metrics.total)} names, primary moved ${((report.metrics.primaryChanged / report.metrics.total) * 100).toFixed(2)} %` +
      ` (keyspace ${(report.keyspace.primaryChanged * 100).toFixed(2)} %)`,
  );
}

benchLocate();
if (!process.argv.includes('--skip-diff')) await benchDiff(10_000_000);
