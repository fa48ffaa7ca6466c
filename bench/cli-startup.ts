// CLI start-up against its floor, `node -e 0` (issue 10's goal: a typical command ≤ 2× that). Start-up
// is most of a short command's time — one `whisper fill` per pair, `ring locate` in a shell loop — so
// it is measured on its own: wall time and CPU time (user + system, less sensitive to a busy machine)
// of --version, a command's --help, a ring lookup and a small scan, interleaved, median of N runs.
// Run after `npm run build`:
//   node dist/bench/cli-startup.js [--runs N=15]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 15;

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-startup-'));
for (const m of ['a/b/c.wsp', 'a/b/d.wsp', 'e/f.wsp']) {
  fs.mkdirSync(dirname(join(dir, m)), { recursive: true });
  fs.writeFileSync(join(dir, m), '');
}

const cases: { name: string; args: string[] }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'ringshift --version', args: [RUN, '--version'] },
  { name: 'ringshift ring locate --help', args: [RUN, 'ring', 'locate', '--help'] },
  { name: 'ringshift ring locate (one name)', args: [RUN, 'ring', 'locate', '--destinations', 'a:2004,b:2004,c:2004', 'a.b.c'] },
  { name: 'ringshift scan (3 files)', args: [RUN, 'scan', dir] },
];

/** One run's wall time in ms. */
function once(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${String(r.stderr)}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** CPU time of the children, read from /proc/self/stat's cutime + cstime (clock ticks, 100/s on Linux). */
function childrenCpuMs(): number {
  try {
    const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[13]) + Number(f[14])) * 10;
  } catch {
    return NaN;
  }
}

process.stderr.write(`cli-startup: ${cases.length} cases × ${RUNS} runs, interleaved (load average ${loadavg()[0]!.toFixed(1)})\n`);
const wall = cases.map(() => [] as number[]);
const cpu = cases.map(() => [] as number[]);
for (let r = 0; r < RUNS + 1; r++) {
  cases.forEach((c, k) => {
    const c0 = childrenCpuMs();
    const w = once(c.args);
    const c1 = childrenCpuMs();
    if (r === 0) return; // warm-up: page cache, compile cache
    wall[k]!.push(w);
    cpu[k]!.push(c1 - c0);
  });
}
fs.rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const base = { wall: median(wall[0]!), cpu: median(cpu[0]!) };
cases.forEach((c, k) => {
  const w = median(wall[k]!);
  const u = median(cpu[k]!);
  const note = k === 0 ? 'the floor' : `${(w / base.wall).toFixed(2)}× node -e 0 wall, ${(u / base.cpu).toFixed(2)}× CPU (goal ≤ 2×)`;
  for (const [metric, value] of [
    ['seconds', w / 1000],
    ['cpu seconds', u / 1000],
  ] as const) {
    process.stdout.write(
      JSON.stringify({
        bench: 'cli-startup',
        case: c.name,
        tool: k === 0 ? 'node' : 'ringshift',
        metric,
        value: Number(value.toFixed(4)),
        better: 'lower',
        note,
      }) + '\n',
    );
  }
});
