// Throughput of `ringshift apply` copying whisper files between two local directories, next to the
// baseline it must approach: `cp -r` of the same files followed by `sync` (apply makes every copy
// durable before it journals it: the files and their directories synced in shared rounds, a verifying
// re-read, journal records fdatasynced), and plain `cp -r`. Targets: ≥ 80 % of `cp -r; sync` for
// 3.3 MB files (layout 10s:6h,1m:7d,10m:5y), ≥ 50 % for 10.7 KB files (1m:12h,1h:7d). Results are
// NDJSON rows on stdout (bench protocol, bench/rows.ts); the table goes to stderr.
// Files are in the page cache (read once before timing), as after a scan; every run starts from an
// empty destination. Best of R interleaved rounds. Run after `npm run build`:
//   node dist/bench/apply.js [--big N=100] [--small N=2000] [--runs R=3] [--dir DIR] [--cold]
// --cold drops the page cache before every timed run (needs root): sources come from the disk, which
// is what a real rebalance reads.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPlan } from '../src/apply/executor.js';
import { loadClusterFileSync } from '../src/config/cluster-file.js';
import { ringFingerprint, type PlanAction, type PlanHeader } from '../src/plan/plan-file.js';
import { startBench } from './rows.js';
import { fullWhisperFile, LAYOUT_10KB, LAYOUT_3MB, type Layout } from './whisper-bytes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const BIG = Number(arg('--big', '100'));
const SMALL = Number(arg('--small', '2000'));
const RUNS = Number(arg('--runs', '3'));
const DIR = arg('--dir', join(tmpdir(), 'ringshift-bench', 'apply'));
/** --cold: drop the page cache before every timed run (root only), so sources are read from the disk. */
const COLD = process.argv.includes('--cold');
const NOW = 1_700_000_000;

interface Set_ {
  name: string;
  dir: string;
  files: number;
  bytes: number;
  plan: string;
}

/** Source tree, cluster file (two nodes) and a plan copying every file from n1 to n2. */
function prepare(name: string, count: number, layout: Layout): Set_ {
  const dir = join(DIR, name);
  const src = join(dir, 'nodes/n1');
  const marker = join(dir, 'ready');
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    for (let i = 0; i < count; i++) {
      const f = join(src, `bench/g${i % 50}/m${i}.wsp`);
      fs.mkdirSync(dirname(f), { recursive: true });
      fs.writeFileSync(f, fullWhisperFile(layout, i, NOW));
      fs.utimesSync(f, NOW, NOW);
    }
    fs.writeFileSync(
      join(dir, 'cluster.yaml'),
      'ring:\n  impl: carbon\n  hash: carbon_ch\n  destinations: ["n1:2004:a", "n2:2004:a"]\nstorage:\n  n1: ./nodes/n1\n  n2: ./nodes/n2\n',
    );
    fs.writeFileSync(marker, '');
  }
  fs.mkdirSync(join(dir, 'nodes/n2'), { recursive: true });
  const cluster = loadClusterFileSync(join(dir, 'cluster.yaml'));
  const header: PlanHeader = {
    type: 'header',
    format: 'ringshift-plan',
    version: 1,
    created: new Date(NOW * 1000).toISOString(),
    ringFingerprint: ringFingerprint(cluster.ring),
    ring: cluster.ring,
    cluster: cluster.path,
    locations: ['n1', 'n2'].map((n) => ({ id: n, url: fs.realpathSync(join(dir, 'nodes', n)), members: [`${n}:2004:a`] })),
    options: { keepSource: true, moveSuspected: false },
  };
  const lines = [JSON.stringify(header)];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const rel = `bench/g${i % 50}/m${i}.wsp`;
    const st = fs.statSync(join(src, rel));
    bytes += st.size;
    const a: PlanAction = {
      type: 'action',
      id: i + 1,
      op: 'copy',
      metric: rel.slice(0, -4).replaceAll('/', '.'),
      path: rel,
      from: 'n1',
      to: 'n2',
      source: { size: st.size, mtimeMs: Math.round(st.mtimeMs) },
    };
    lines.push(JSON.stringify(a));
  }
  lines.push(JSON.stringify({ type: 'footer', actions: count, skips: 0, bytes }));
  const plan = join(dir, 'copy.plan');
  fs.writeFileSync(plan, lines.join('\n') + '\n');
  return { name, dir, files: count, bytes, plan };
}

// Outputs of a run are moved aside, not deleted, until the bench ends. ext4 without a journal (this
// VM's root, and many cloud images) skips inodes freed less than ~30 s ago when it allocates one
// (recently_deleted()), scanning past each: creating 2000 files right after deleting 2000 in the same
// block group costs a scan per create, and whoever ran next after a reset paid it (seen in perf: a
// third of apply's CPU in recently_deleted). A real destination is not emptied seconds before a copy.
const TRASH = join(DIR, 'trash');
let trashed = 0;

function reset(s: Set_): void {
  fs.mkdirSync(TRASH, { recursive: true });
  for (const p of ['nodes/n2/bench', 'copy.plan.journal', 'cp-out']) {
    const from = join(s.dir, p);
    if (fs.existsSync(from)) fs.renameSync(from, join(TRASH, `${Date.now()}-${trashed++}`));
  }
  execFileSync('sync');
}

/** Delete what runs left; before timing, then wait out ext4's window of recently freed inodes. */
async function emptyTrash(wait: boolean): Promise<void> {
  if (!fs.existsSync(TRASH)) return;
  fs.rmSync(TRASH, { recursive: true, force: true });
  execFileSync('sync');
  if (wait) {
    console.log('removed the outputs of an earlier bench run: waiting 31 s (ext4 skips inodes freed < 30 s ago)');
    await new Promise((r) => setTimeout(r, 31_000));
  }
}

function warm(s: Set_): void {
  if (COLD) {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return;
  }
  spawnSync('sh', ['-c', `find ${JSON.stringify(join(s.dir, 'nodes/n1'))} -type f -exec cat {} + > /dev/null`]);
}

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function measure(s: Set_): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  const keep = (k: string, v: number) => (best[k] = Math.min(best[k] ?? Infinity, v));
  const src = join(s.dir, 'nodes/n1/bench');
  const out = join(s.dir, 'cp-out');
  for (let r = 0; r < RUNS; r++) {
    reset(s);
    warm(s);
    keep('cp -r', await timed(() => void execFileSync('cp', ['-r', src, out])));
    reset(s);
    warm(s);
    keep('cp -r; sync', await timed(() => void execFileSync('sh', ['-c', `cp -r "${src}" "${out}" && sync`])));
    reset(s);
    warm(s);
    keep(
      'ringshift apply (library)',
      await timed(async () => {
        const rep = await applyPlan({ plan: s.plan });
        if (rep.exitCode() !== 0) throw new Error(JSON.stringify(rep.json()));
      }),
    );
    reset(s);
    warm(s);
    keep(
      'ringshift apply --per-node 16 (library)',
      await timed(async () => {
        const rep = await applyPlan({ plan: s.plan, perNode: 16, concurrency: 32 });
        if (rep.exitCode() !== 0) throw new Error(JSON.stringify(rep.json()));
      }),
    );
    reset(s);
    warm(s);
    keep(
      'ringshift apply (CLI)',
      await timed(() => {
        const p = spawnSync(process.execPath, [RUN, 'apply', s.plan], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(p.stderr + p.stdout);
      }),
    );
  }
  reset(s);
  return best;
}

const out = startBench('apply');
/** Our CLI first: the row the peers are compared with. */
const ORDER = ['ringshift apply (CLI)', 'ringshift apply (library)', 'ringshift apply --per-node 16 (library)', 'cp -r; sync', 'cp -r'];

function report(s: Set_, best: Record<string, number>): void {
  const cp = best['cp -r']!;
  const cpSync = best['cp -r; sync']!;
  const mb = s.bytes / 1e6;
  console.log(`\n${s.name}: ${s.files} files, ${mb.toFixed(1)} MB (${(s.bytes / s.files / 1024).toFixed(1)} KiB each), best of ${RUNS}`);
  console.log('  what                              seconds      MB/s    files/s   vs cp -r  vs cp -r; sync');
  const caseName = `${s.files} files ${mb.toFixed(0)} MB (${(s.bytes / s.files / 1024).toFixed(1)} KiB each) local${COLD ? ' cold cache' : ''}`;
  const load = `best of ${RUNS}, load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`;
  for (const k of ORDER) {
    const v = best[k];
    if (v === undefined) continue;
    console.log(
      `  ${k.padEnd(32)} ${v.toFixed(3).padStart(8)} ${(mb / v).toFixed(1).padStart(9)} ${(s.files / v).toFixed(0).padStart(10)} ${((cp / v) * 100).toFixed(0).padStart(8)} % ${((cpSync / v) * 100).toFixed(0).padStart(8)} %`,
    );
    const note =
      k === 'cp -r'
        ? `does not wait for the disk; ${load}`
        : k === 'cp -r; sync'
          ? `durable, as apply must be before a delete; ${load}`
          : `${((cpSync / v) * 100).toFixed(0)} % of cp -r; sync${k.endsWith('(library)') ? ' (in the bench process: JIT-warm from earlier runs, no start-up; a fresh process, as the CLI is, pays ~2× the CPU)' : ''}; ${load}`;
    out.row({ case: caseName, tool: k, metric: 'MB/s', value: mb / v, better: 'higher', note });
    out.row({ case: caseName, tool: k, metric: 'files/s', value: s.files / v, better: 'higher', note });
  }
}

console.log(
  `apply bench: ${availableParallelism()} CPUs, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}, dir ${DIR}, ${COLD ? 'cold cache (dropped before each run)' : 'warm cache'}`,
);
fs.mkdirSync(DIR, { recursive: true });
await emptyTrash(true);
const big = prepare(`big-${BIG}`, BIG, LAYOUT_3MB);
report(big, await measure(big));
const small = prepare(`small-${SMALL}`, SMALL, LAYOUT_10KB);
report(small, await measure(small));
await emptyTrash(false);
