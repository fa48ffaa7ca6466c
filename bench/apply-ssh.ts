// `ringshift apply` over ssh, side by side with the peers on the same files: a 1 → 2 node ring change
// (carbon_ch, replication 1) where about half of N realistic whisper files move from node 1 to node 2,
// each node behind its own loopback OpenSSH sshd (its own host key), files in the page cache.
//   ringshift apply   the CLI at default flags, controller here, both nodes over ssh (every copy
//                     verified and made durable, the sources deleted: the whole job)
//   … --transport pull  the same, node 2 pulling from node 1 over its own ssh (the cluster file's
//                     node_ssh: says the nodes trust each other): the data never crosses the controller
//   … on node 2       the same job run on the destination node (node 2 is a local path, node 1 over
//                     ssh): where carbon-sync runs, and rsync's topology (one ssh hop, no controller)
//   rsync -a          the moving files from node 1's directory to node 2 over one ssh (no fsync, no delete)
//   carbon-sync       carbonate's, run as on the destination (rsync -azpS pull into staging, then copy),
//                     when CARBONATE_DIR points at carbonate's source or carbon-sync is on PATH
// Each round runs every tool once (interleaved), from the same starting state; after each run every
// moved file is compared with the original (sha256). Two login flavours: plain (sshd's internal-sftp),
// and a node user whose login costs 0.2 s per session (a .bashrc that runs pyenv init), a forced
// command in front of every session that then runs the sftp-server program, as Debian's default
// `Subsystem sftp /usr/lib/openssh/sftp-server` does (a process and a pipe more per byte on the node). Results: NDJSON rows on stdout (bench
// protocol), progress on stderr. Run after `npm run build`:
//   node dist/bench/apply-ssh.js [--quick] [--files N=2000] [--runs R=3] [--dir DIR] [--no-slow | --only-slow]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism, loadavg, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterFile } from '../src/config/cluster-file.js';
import { ringFingerprint, type PlanAction, type PlanHeader } from '../src/plan/plan-file.js';
import { buildRing } from '../src/ring/build.js';
import { metricToPath } from '../src/storage/paths.js';
import { startLoopbackSshd, type LoopbackSshd } from './apply-sshd.js';
import { startBench } from './rows.js';
import { fullWhisperFile, LAYOUT_226KB, LAYOUT_3MB } from './whisper-bytes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = resolve(ROOT, 'bin/run.js');
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback;
};
const QUICK = argv.includes('--quick');
const FILES = Number(arg('--files', QUICK ? '400' : '2000'));
const RUNS = Number(arg('--runs', QUICK ? '1' : '3'));
const DIR = arg('--dir', join(tmpdir(), 'ringshift-bench', 'apply-ssh'));
const SLOW = !argv.includes('--no-slow');
/** --only-slow: just the slow-login flavour (external sftp-server behind a forced command). */
const ONLY_SLOW = argv.includes('--only-slow');
/** --setup-only: prepare the files and the servers, print the apply command, leave the servers running. */
const SETUP_ONLY = argv.includes('--setup-only');
const NOW = 1_700_000_000;
const BENCH = 'apply-ssh';

const log = (s: string) => process.stderr.write(`apply-ssh: ${s}\n`);
const out = startBench(BENCH);
const row = out.row;

// Realistic layouts: 1 file in 7 with a 10 s archive (3.3 MB), the others 1m:7d,1h:1y (226 KB); every
// slot written (a metric older than its retention), values varying.
interface Setup {
  dir: string;
  pristine: string;
  n1: string;
  n2: string;
  moving: string[];
  movingBytes: number;
  names: string;
  fileList: string;
  sums: Map<string, string>;
}

/** Files, the ring change, the list of moving files (made once, reused by later runs of the bench). */
function prepare(): Setup {
  const dir = join(DIR, `files-${FILES}`);
  const pristine = join(dir, 'pristine');
  const marker = join(dir, 'ready');
  const cluster = (nodes: string[], storage: Record<string, string>) =>
    `ring:\n  impl: carbon\n  hash: carbon_ch\n  replication: 1\n  destinations: [${nodes.map((n) => `"${n}:2004:a"`).join(', ')}]\nstorage:\n` +
    Object.entries(storage)
      .map(([k, v]) => `  ${k}: ${v}\n`)
      .join('');
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    log(`writing ${FILES} whisper files to ${pristine}`);
    for (let i = 0; i < FILES; i++) {
      const rel = metricToPath(`bench.g${i % 50}.m${i}`);
      const f = join(pristine, rel);
      fs.mkdirSync(dirname(f), { recursive: true });
      fs.writeFileSync(f, fullWhisperFile(i % 7 === 0 ? LAYOUT_3MB : LAYOUT_226KB, i, NOW));
      fs.utimesSync(f, NOW, NOW);
    }
    fs.writeFileSync(join(dir, 'new.yaml'), cluster(['n1', 'n2'], { n1: '/n1', n2: '/n2' }));
    fs.writeFileSync(marker, '');
  }
  const text = fs.readFileSync(join(dir, 'new.yaml'), 'utf8');
  const ring = buildRing(parseClusterFile(text, join(dir, 'new.yaml')).ring);
  const moving: string[] = [];
  let movingBytes = 0;
  const sums = new Map<string, string>();
  for (let i = 0; i < FILES; i++) {
    const metric = `bench.g${i % 50}.m${i}`;
    if (ring.locate(metric).owners[0]!.server !== 'n2') continue;
    const rel = metricToPath(metric);
    moving.push(rel);
    const data = fs.readFileSync(join(pristine, rel));
    movingBytes += data.length;
    sums.set(rel, createHash('sha256').update(data).digest('hex'));
  }
  const names = join(dir, 'moving.names');
  fs.writeFileSync(names, moving.map((r) => r.slice(0, -4).replaceAll('/', '.')).join('\n') + '\n');
  const fileList = join(dir, 'moving.files');
  fs.writeFileSync(fileList, moving.join('\n') + '\n');
  return { dir, pristine, n1: join(dir, 'n1'), n2: join(dir, 'n2'), moving, movingBytes, names, fileList, sums };
}

/** Node 1 holds every file again (hard links of the pristine copies), node 2 is empty. */
function reset(s: Setup): void {
  fs.rmSync(s.n1, { recursive: true, force: true });
  fs.rmSync(s.n2, { recursive: true, force: true });
  fs.rmSync(join(s.dir, 'staging'), { recursive: true, force: true });
  for (const f of fs.readdirSync(s.dir)) if (f.endsWith('.journal')) fs.rmSync(join(s.dir, f), { recursive: true, force: true });
  execFileSync('cp', ['-al', s.pristine, s.n1]);
  fs.mkdirSync(s.n2);
  // Page cache warm, as after a scan.
  spawnSync('sh', ['-c', `find ${JSON.stringify(s.n1)} -type f -exec cat {} + > /dev/null`]);
  execFileSync('sync');
}

/** Every moving file on node 2, byte for byte (sha256). */
function verify(s: Setup, tool: string): void {
  let bad = 0;
  for (const rel of s.moving) {
    const f = join(s.n2, rel);
    if (!fs.existsSync(f) || createHash('sha256').update(fs.readFileSync(f)).digest('hex') !== s.sums.get(rel)) bad++;
  }
  if (bad > 0) throw new Error(`${tool}: ${bad} of ${s.moving.length} moved files missing or different on node 2`);
}

/** The plan of the 1 → 2 change (copies and deletes of the moving files), as `ringshift plan` writes it. */
interface Plans {
  plan: string;
  cluster: string;
  pullCluster: string;
  /** The same change as seen from node 2 (node 2 a local path): the job run on the destination. */
  onDestPlan: string;
  onDestCluster: string;
}

function writePlan(s: Setup, a: LoopbackSshd, b: LoopbackSshd, known: string): Plans {
  const first = writePlanFor(s, a, b.url(s.n2), `${a.port}-${b.port}`);
  const onDest = writePlanFor(s, a, s.n2, `${a.port}-local`);
  // For the pull row: the nodes trust each other as carbon-sync needs them to (node 2 logs in to
  // node 1 with a key), and node_ssh says how.
  const nodeSsh = ['-i', a.identity, '-o', `UserKnownHostsFile=${known}`, '-o', 'IdentitiesOnly=yes'];
  const pullCluster = join(s.dir, `ssh-pull-${a.port}-${b.port}.yaml`);
  fs.writeFileSync(pullCluster, `${first.clusterText}node_ssh: ${JSON.stringify(nodeSsh)}\n`);
  return { plan: first.plan, cluster: first.cluster, pullCluster, onDestPlan: onDest.plan, onDestCluster: onDest.cluster };
}

function writePlanFor(s: Setup, a: LoopbackSshd, n2Url: string, tag: string): { plan: string; cluster: string; clusterText: string } {
  const clusterText =
    `ring:\n  impl: carbon\n  hash: carbon_ch\n  replication: 1\n  destinations: ["n1:2004:a", "n2:2004:a"]\n` +
    `storage:\n  n1: ${a.url(s.n1)}\n  n2: ${n2Url}\n`;
  const cluster = join(s.dir, `ssh-${tag}.yaml`);
  fs.writeFileSync(cluster, clusterText);
  const spec = parseClusterFile(clusterText, cluster).ring;
  const header: PlanHeader = {
    type: 'header',
    format: 'ringshift-plan',
    version: 1,
    created: new Date(NOW * 1000).toISOString(),
    ringFingerprint: ringFingerprint(spec),
    ring: spec,
    cluster,
    locations: [
      { id: 'n1', url: a.url(s.n1), members: ['n1:2004:a'] },
      { id: 'n2', url: n2Url, members: ['n2:2004:a'] },
    ],
    options: { keepSource: false, moveSuspected: false },
  };
  const lines = [JSON.stringify(header)];
  let id = 1;
  let bytes = 0;
  for (const rel of s.moving) {
    const st = fs.statSync(join(s.pristine, rel));
    bytes += st.size;
    const source = { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
    const metric = rel.slice(0, -4).replaceAll('/', '.');
    const copy: PlanAction = { type: 'action', id, op: 'copy', metric, path: rel, from: 'n1', to: 'n2', source };
    const del: PlanAction = { type: 'action', id: id + 1, op: 'delete', metric, path: rel, at: 'n1', source, after: [id] };
    lines.push(JSON.stringify(copy), JSON.stringify(del));
    id += 2;
  }
  lines.push(JSON.stringify({ type: 'footer', actions: id - 1, skips: 0, bytes }));
  const plan = join(s.dir, `move-${tag}.plan`);
  fs.writeFileSync(plan, lines.join('\n') + '\n');
  return { plan, cluster, clusterText };
}

function carbonSync(): { argv: string[] } | string {
  const dir = process.env.CARBONATE_DIR;
  if (dir !== undefined && dir !== '') {
    if (!fs.existsSync(join(dir, 'carbonate', 'cli.py'))) return `CARBONATE_DIR=${dir} has no carbonate/cli.py`;
    const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    return {
      argv: [
        py,
        '-c',
        `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); from carbonate.cli import carbon_sync; sys.argv[0] = 'carbon-sync'; carbon_sync()`,
      ],
    };
  }
  const which = spawnSync('sh', ['-c', 'command -v carbon-sync'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return { argv: [which.stdout.trim()] };
  return "set CARBONATE_DIR to carbonate's source (needs python3 with whisper and carbon) or put carbon-sync on PATH";
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

function must(p: ReturnType<typeof spawnSync>, what: string): void {
  if (p.status !== 0)
    throw new Error(
      `${what} exited ${p.status ?? p.signal}: ${String(p.stderr ?? '').slice(-2000)}${String(p.stdout ?? '').slice(0, 3000)}`,
    );
}

async function main(): Promise<void> {
  log(
    `${availableParallelism()} CPUs, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}, ${FILES} files, ${RUNS} run(s), dir ${DIR}`,
  );
  fs.mkdirSync(DIR, { recursive: true });
  const s = prepare();
  const mb = s.movingBytes / 1e6;
  log(`${s.moving.length} of ${FILES} files move (${mb.toFixed(0)} MB)`);
  const peer = carbonSync();
  const flavours: { name: string; slow: number }[] = ONLY_SLOW ? [] : [{ name: 'plain login', slow: 0 }];
  if (SLOW) flavours.push({ name: 'login 0.2 s (slow .bashrc)', slow: 0.2 });
  for (const flavour of flavours) {
    const a = await startLoopbackSshd({ dir: join(DIR, `sshd-a-${flavour.slow}`), slowLoginSeconds: flavour.slow });
    const b = await startLoopbackSshd({ dir: join(DIR, `sshd-b-${flavour.slow}`), slowLoginSeconds: flavour.slow, identity: a.identity });
    const caseName = `${s.moving.length} of ${FILES} files, ${mb.toFixed(0)} MB, 1 → 2 nodes over ssh, ${flavour.name}${QUICK ? ' (quick)' : ''}`;
    try {
      const known = join(DIR, `known-${flavour.slow}`);
      fs.writeFileSync(known, fs.readFileSync(a.knownHosts, 'utf8') + fs.readFileSync(b.knownHosts, 'utf8'));
      const { plan, cluster, pullCluster, onDestPlan, onDestCluster } = writePlan(s, a, b, known);
      const sshCmd = (port: number) =>
        `ssh -p ${port} -i ${a.identity} -o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
      if (SETUP_ONLY) {
        reset(s);
        log(`servers: pids in ${a.dir}, ${b.dir} (sshd.pid); run:`);
        process.stdout.write(
          `${process.execPath} ${RUN} apply ${plan} --cluster ${cluster} --identity ${a.identity} --known-hosts ${known}\n` +
            `${process.execPath} ${RUN} apply ${onDestPlan} --cluster ${onDestCluster} --identity ${a.identity} --known-hosts ${known}\n`,
        );
        return;
      }
      const times: Record<string, number[]> = {};
      const keep = (tool: string, t: number) => (times[tool] ??= []).push(t);
      for (let r = 0; r < RUNS; r++) {
        // Default flags (every byte through this machine), and node 2 pulling from node 1.
        for (const [tool, planFile, extra] of [
          ['ringshift apply', plan, ['--cluster', cluster]],
          ['ringshift apply --transport pull', plan, ['--cluster', pullCluster, '--transport', 'pull']],
          ['ringshift apply on node 2', onDestPlan, ['--cluster', onDestCluster]],
        ] as const) {
          reset(s);
          const t = timed(() =>
            must(
              spawnSync(process.execPath, [RUN, 'apply', planFile, '--identity', a.identity, '--known-hosts', known, '--quiet', ...extra], {
                encoding: 'utf8',
                env: { ...process.env, SSH_AUTH_SOCK: '' },
              }),
              tool,
            ),
          );
          verify(s, tool);
          if (s.moving.some((rel) => fs.existsSync(join(s.n1, rel)))) throw new Error(`${tool} left sources behind`);
          keep(tool, t);
          log(`${flavour.name} round ${r + 1}: ${tool} ${t.toFixed(2)} s`);
        }

        reset(s);
        const tr = timed(() =>
          must(
            spawnSync(
              'rsync',
              ['-a', '--files-from', s.fileList, '-e', sshCmd(b.port), s.n1 + '/', `${userInfo().username}@127.0.0.1:${s.n2}/`],
              {
                encoding: 'utf8',
              },
            ),
            'rsync -a',
          ),
        );
        verify(s, 'rsync -a');
        keep('rsync -a', tr);
        log(`${flavour.name} round ${r + 1}: rsync -a ${tr.toFixed(2)} s`);

        if (typeof peer !== 'string') {
          reset(s);
          fs.mkdirSync(join(s.dir, 'staging'), { recursive: true });
          const conf = join(s.dir, 'carbonate.conf');
          fs.writeFileSync(
            conf,
            `[main]\nDESTINATIONS = n1:2004:a, n2:2004:a\nREPLICATION_FACTOR = 1\nSSH_USER = ${userInfo().username}\n`,
          );
          const tc = timed(() =>
            must(
              spawnSync(
                peer.argv[0]!,
                [
                  ...peer.argv.slice(1),
                  '-c',
                  conf,
                  '-C',
                  'main',
                  '-f',
                  s.names,
                  '-s',
                  '127.0.0.1',
                  '-d',
                  s.n2,
                  '--source-storage-dir',
                  s.n1,
                  '-t',
                  join(s.dir, 'staging'),
                ],
                { encoding: 'utf8', env: { ...process.env, RSYNC_RSH: sshCmd(a.port) }, maxBuffer: 256 << 20 },
              ),
              'carbon-sync',
            ),
          );
          verify(s, 'carbon-sync');
          keep('carbon-sync', tc);
          log(`${flavour.name} round ${r + 1}: carbon-sync ${tc.toFixed(2)} s`);
        }
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const load = `load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`;
      for (const [tool, xs] of Object.entries(times)) {
        const m = median(xs);
        const note =
          tool === 'ringshift apply'
            ? `whole job at default flags (every byte through this machine, each slot checked here): copies verified and durable, sources deleted; median of ${xs.length}, ${load}`
            : tool === 'ringshift apply on node 2'
              ? `whole job at default flags, run on the destination as carbon-sync is (node 1 over ssh, one hop): copies verified and durable, sources deleted; median of ${xs.length}, ${load}`
              : tool.startsWith('ringshift')
                ? `whole job, node 2 pulls from node 1 (node_ssh in the cluster file; sha256 on both nodes): copies verified and durable, sources deleted; median of ${xs.length}, ${load}`
                : tool === 'rsync -a'
                  ? `copies only, no fsync, no delete, one ssh hop; median of ${xs.length}, ${load}`
                  : `rsync -azpS pull + copy on the destination; median of ${xs.length}, ${load}`;
        row({ case: caseName, tool, metric: 'seconds', value: Math.round(m * 1000) / 1000, better: 'lower', note });
        row({ case: caseName, tool, metric: 'MB/s', value: Math.round((mb / m) * 10) / 10, better: 'higher', note });
      }
      if (typeof peer === 'string') {
        out.notAvailable({ case: caseName, tool: 'carbon-sync', metric: 'seconds', better: 'lower' }, peer);
        out.notAvailable({ case: caseName, tool: 'carbon-sync', metric: 'MB/s', better: 'higher' }, peer);
      }
      for (const tool of ['ringshift apply', 'ringshift apply on node 2']) {
        const apply = median(times[tool]!);
        const ratios = [`${((median(times['rsync -a']!) / apply) * 100).toFixed(0)} % of rsync -a's throughput`];
        if (times['carbon-sync'] !== undefined)
          ratios.push(`${((median(times['carbon-sync']) / apply) * 100).toFixed(0)} % of carbon-sync's`);
        log(`${flavour.name}: ${tool} reaches ${ratios.join(', ')}`);
      }
    } finally {
      if (!SETUP_ONLY) {
        await a.stop();
        await b.stop();
      }
    }
  }
  reset(s);
}

main().catch((err: unknown) => {
  process.stderr.write(`apply-ssh: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
