// CLI start-up against its floor, `node -e 0` (issue 10's goal: a typical command ≤ 2× that). Start-up
// is most of a short command's time — one `whisper fill` per pair, `ring locate` in a shell loop — so
// it is measured on its own: wall time and CPU time (user + system, less sensitive to a busy machine)
// of --version, a command's --help, a ring lookup, `whisper info` of one file and a small scan,
// interleaved, median of N runs (after one warm-up round). Run after `npm run build`:
//   node dist/bench/cli-startup.js [--runs N=20] [--baseline OTHER/bin/run.js]
// --baseline runs the same cases with another build (e.g. a checkout of main) in the same rounds,
// for a before/after on a machine whose load changes under the bench.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 20;
const b = process.argv.indexOf('--baseline');
const BASELINE = b >= 0 ? resolve(process.argv[b + 1]!) : undefined;

const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-startup-'));
const tree = join(dir, 'tree');
for (const m of ['a/b/c.wsp', 'a/b/d.wsp', 'e/f.wsp']) {
  fs.mkdirSync(dirname(join(tree, m)), { recursive: true });
  fs.writeFileSync(join(tree, m), '');
}
const WSP = join(dir, 'one.wsp');
const created = spawnSync(process.execPath, [RUN, 'whisper', 'create', WSP, '1m:1d', '1h:30d'], { stdio: ['ignore', 'ignore', 'pipe'] });
if (created.status !== 0) throw new Error(`ringshift whisper create: exit ${created.status}: ${String(created.stderr)}`);

const commandLines: { name: string; args: string[] }[] = [
  { name: '--version', args: ['--version'] },
  { name: 'ring locate --help', args: ['ring', 'locate', '--help'] },
  { name: 'ring locate (one name)', args: ['ring', 'locate', '--destinations', 'a:2004,b:2004,c:2004', 'a.b.c'] },
  { name: 'whisper info (one file)', args: ['whisper', 'info', WSP] },
  { name: 'scan (3 files)', args: ['scan', tree] },
];
const cases: { name: string; tool: string; args: string[] }[] = [
  { name: 'node -e 0', tool: 'node', args: ['-e', '0'] },
  ...commandLines.flatMap((c) => [
    { name: `ringshift ${c.name}`, tool: 'ringshift', args: [RUN, ...c.args] },
    ...(BASELINE === undefined ? [] : [{ name: `ringshift ${c.name}`, tool: `baseline build ${BASELINE}`, args: [BASELINE, ...c.args] }]),
  ]),
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
        tool: c.tool,
        metric,
        value: Number(value.toFixed(4)),
        better: 'lower',
        note,
      }) + '\n',
    );
  }
});
